"""The hotline's configuration, read from the environment once at the edge of each process."""
