"""How a process reaches Temporal: the data converter (pydantic, then the payload codec) and the
one client factory, below the worker, the API, the CLI and the audit tools alike."""
