"""The worker process: the worker (its composition root), its transition hooks, its schedules."""
