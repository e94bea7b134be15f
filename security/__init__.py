"""Security: payload encryption for the engine's histories and its key ring."""
