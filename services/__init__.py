"""Glance's services, grouped by role (docs/architecture.md draws the layers, import-linter enforces them):

`runtime` (settings, logs, metrics, build info, probes, the engine) at the bottom; `cache`,
`contracts` and `auth` above it; `imports` (the file pipeline) and `sources` (scheduled pulls);
`ops` (readiness, scheduler, backups, freshness, alerts, deploy checks) and `embedded` (the
`glance demo` default); `sync` (the FastAPI service) and `cli` (the `glance` command) on top.
"""

from importlib.metadata import version as _package_version

__version__ = _package_version("glance")
