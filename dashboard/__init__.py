"""The Panel dashboard. It reads figures from `db.queries` through `services.cache` and sends uploads
to the sync service over HTTP; it imports no sync-service internals (`services.imports`,
`services.sources`, `services.sync`), only the shared `services.contracts`.
"""
