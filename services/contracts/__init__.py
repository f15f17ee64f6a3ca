"""What the dashboard, the CLI and the sync service agree on about imports: the kinds of file and
their fields (`kinds`), the run report and its status, and a file's header (`report`).

Small and light on purpose (pydantic and `db.models`' names, nothing that reads a file), so the
dashboard can use them without loading the import pipeline. May import `db.models` only.
"""
