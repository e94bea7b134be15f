"""Running the hotline: configuration, the one client factory, the worker and the dev stack."""
