"""What the hotline's operators see of it running: metrics, traces, logs."""
