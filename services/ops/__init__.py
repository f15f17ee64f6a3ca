"""Scheduled and operator work: readiness, the scheduler, backups, data freshness, alerts, deploy checks.

May import `db`, `services.runtime`, `services.cache`, `services.contracts`, `services.imports` and
`services.sources`; imported by the sync service (its scheduler and probes) and the CLI.
"""
