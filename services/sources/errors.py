"""Why a source cannot be loaded or pulled: each names the source, the problem and the fix."""

from __future__ import annotations

from services.runtime.errors import GlanceError


class SourceError(GlanceError):
    """Base of the errors a pull or a sources file raises."""


class SourceConfigError(SourceError):
    """The sources file (or a secret it references) is wrong; retrying will not help."""


class PullError(SourceError):
    """A pull failed for good: a 4xx answer, a bad query, an unreadable page."""


class TransientPullError(SourceError):
    """A pull failed in a way worth retrying: a network error, a timeout, a 5xx answer."""
