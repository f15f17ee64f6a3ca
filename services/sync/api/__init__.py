"""The sync service's HTTP API (version 1)."""
