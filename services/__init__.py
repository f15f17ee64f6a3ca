"""Glance's services: the sync service and the runtime pieces both services share."""

from importlib.metadata import version as _package_version

__version__ = _package_version("glance")
