"""The query cache both services share: keys, backends (Redis or in-process), and the exact value codec.

May import `db.queries` and `services.runtime`; imported by the dashboard, the sync service, the
CLI and readiness. Keys carry the code digest and the data version, so a deploy or an import is
never answered from an older entry.
"""
