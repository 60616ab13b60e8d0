"""A test-only app for the scheduler and worker process tests (tests/core/test_scheduler_processes.py):
probe jobs that log each run to a file, and a task that naps. Installed only by ops_probe_settings."""
