"""Benchmarks of the case engine against the bare Temporal engine (`python -m bench.lifecycle`)."""
