"""Sources Glance pulls on a schedule (HTTP endpoints, SQL queries, watched folders), each pull an import run."""

from services.sources.config import FolderSource, HttpSource, SourcesFile, SqlSource, load_sources
from services.sources.errors import PullError, SourceConfigError, SourceError, TransientPullError
from services.sources.pull import PullResult, PullStatus, pull_source

__all__ = [
    "FolderSource",
    "HttpSource",
    "PullError",
    "PullResult",
    "PullStatus",
    "SourceConfigError",
    "SourceError",
    "SourcesFile",
    "SqlSource",
    "TransientPullError",
    "load_sources",
    "pull_source",
]
