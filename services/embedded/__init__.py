"""The embedded default (`glance demo`): first-start secrets and users, demo data, and the supervisor
that runs the sync service and the dashboard as child processes.

May import `db`, `services.runtime` and `services.auth`; imported only by the CLI (and tests and
benchmarks that start Glance the way a user does).
"""
