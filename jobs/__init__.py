"""Time-driven work: the batched sweep of overdue timers and the daemon that runs it on time."""
