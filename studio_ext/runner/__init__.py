"""The studio agent and job processes: queue dispatch, warm worker pool, launchers, limits."""
