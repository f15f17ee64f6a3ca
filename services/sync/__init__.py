"""The sync service: the FastAPI app (`app`) and its routes (`api`). It wires the import pipeline
(`services.imports`), the scheduler and probes (`services.ops`) behind HTTP; nothing but the CLI
and the tests imports it.
"""
