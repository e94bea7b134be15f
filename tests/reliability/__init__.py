"""Reliability and security drills: the whole system under killed workers, a restarted Temporal
server, an unreachable database, fuzzing and cross-department probing."""
