"""The HTTP API: operators, departments, supervisors, auditors and Open311 clients."""
