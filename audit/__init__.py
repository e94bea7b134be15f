"""Audit: archived histories, replay against current code, timelines, tamper evidence."""
