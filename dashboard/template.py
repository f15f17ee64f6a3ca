"""The page template, and the two Panel behaviours Glance turns off because every new tab pays for them.

Panel offers no public switch for either, so both rest on Panel internals: `pyproject.toml` pins
Panel to the minor version they are tested with (`panel>=1.9,<1.10`), and
tests/dashboard/test_panel_hooks.py fails loudly when a Panel release stops honouring them.
- Google Fonts: `VanillaTemplate` links the Lato font from Google on every page, a third-party
  request that fails on offline servers and tells Google who uses the dashboard. `GlanceTemplate`
  leaves it out (the system font is used) by overriding the class's resource table.
- MathJax: Panel adds Bokeh's MathJax bundle (1.8 MB of JavaScript every new tab downloads and
  parses) to any page with an HTML pane, in case it holds LaTeX. Glance renders no math: its HTML
  panes keep `disable_math` on and its Markdown holds none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from panel.io import resources as panel_resources
from panel.template import VanillaTemplate

if TYPE_CHECKING:
    from panel.io.resources import ResourcesType  # declared for type checkers only


class GlanceTemplate(VanillaTemplate):
    """Panel's plain template without its Google Fonts stylesheet."""

    _resources: ClassVar[ResourcesType] = {**VanillaTemplate._resources, "css": {}}


def _no_mathjax(roots: object) -> bool:
    return False


def drop_mathjax() -> None:
    """Stop Panel from adding MathJax to pages with HTML panes (for this process)."""
    panel_resources._panel_use_mathjax = _no_mathjax
