"""Durable case processes: one Temporal workflow per 12345 case."""
