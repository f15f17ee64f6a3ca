"""Panel internals that dashboard/template.py relies on still do what Glance needs, or this fails loudly."""

from __future__ import annotations

import inspect

import panel as pn
from panel.io import resources as panel_resources
from panel.io.resources import Resources

from dashboard.template import GlanceTemplate, drop_mathjax


def _js_files(*, enable_mathjax: bool | str = "auto") -> list[object]:
    root = pn.Column(pn.pane.HTML("<b>£23.4M</b>")).get_root()
    return panel_resources.bundle_resources([root], Resources(mode="server"), enable_mathjax=enable_mathjax).js_files


def test_the_template_links_no_google_font_and_keeps_panels_plain_styles() -> None:
    css = GlanceTemplate().resolve_resources(cdn=False)["css"]

    assert not [url for url in css.values() if "googleapis" in url or "lato" in url.lower()]
    assert any("vanilla" in url for url in css.values())


def test_pages_with_html_panes_ship_without_mathjax() -> None:
    drop_mathjax()

    assert not [name for name in _js_files() if "mathjax" in str(name)]
    # The check above is meaningful: the same page asked to carry MathJax names its bundle.
    assert [name for name in _js_files(enable_mathjax=True) if "mathjax" in str(name)]


def test_panel_still_decides_mathjax_through_the_function_glance_replaces() -> None:
    assert "_panel_use_mathjax(roots)" in inspect.getsource(panel_resources.bundle_resources)
