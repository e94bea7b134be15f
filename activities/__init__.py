"""The workflow's hands: persistence, notifications, deadline computation."""
