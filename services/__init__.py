"""Client-side application operations shared by the CLI and the HTTP API."""
