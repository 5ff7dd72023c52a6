"""The Jinja environment and the Markdown renderer every page uses.

Assistant and lesson Markdown goes through markdown-it-py with raw HTML
disabled, then nh3 (an allow-list sanitizer) before it reaches a page.
Learner text is never rendered as Markdown; Jinja autoescaping covers it.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import nh3
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.container import container_plugin

from apilab.web.security.tokens import LOCAL_COOKIE

__all__ = ["render_markdown", "templates"]

_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
    "del", "sup", "sub", "span", "div", "details", "summary",
}
_ALLOWED_ATTRS = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"},
                  "span": {"class"}, "div": {"class"}}


@functools.cache
def _md() -> MarkdownIt:
    # "html": False means raw HTML in the Markdown source is escaped, not passed through.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable(
        "strikethrough"
    )
    # "::: details Summary" ... ":::" folds a section: the offline tutor's other answers
    # that may fit, which a learner opens only when the first one missed.
    md.use(container_plugin, name="details", render=_render_details)
    return md


def _render_details(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</details>\n"
    summary = token.info.strip().removeprefix("details").strip() or "More"
    return f"<details><summary>{escape(summary)}</summary>\n"


# Texts up to this long are cached. Rendering is pure Python (markdown-it-py) and was
# the largest single cost of a chat reply on the server; the offline tutor gives many
# learners the same answer (and lesson pages render the same text on every visit).
# The output depends on the text alone, so the cache cannot go stale.
_CACHE_MAX_CHARS = 20_000


def render_markdown(text: str) -> Markup:
    """Markdown to sanitized HTML, safe to insert into a page."""
    text = text or ""
    if len(text) <= _CACHE_MAX_CHARS:
        return Markup(_render_cached(text))  # noqa: S704 - sanitized by nh3 in _render
    return Markup(_render(text))  # noqa: S704 - sanitized by nh3 in _render


@functools.lru_cache(maxsize=512)
def _render_cached(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = nh3.clean(
        _md().render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # A wide table scrolls inside its own box instead of widening the page on a phone.
    # After nh3, so the wrapper is ours; the sanitizer emits exactly "<table>".
    return html.replace("<table>", '<div class="table-scroll"><table>').replace(
        "</table>", "</table></div>")


def _templates() -> Jinja2Templates:
    directory = str(resources.files("apilab.web") / "templates")
    tpl = Jinja2Templates(directory=directory)
    tpl.env.filters["markdown"] = render_markdown
    tpl.env.globals["asset_version"] = "1"
    return tpl


templates = _templates()


def context(request: Any, **values: Any) -> dict[str, Any]:
    """Template context with the request and app-wide values."""
    settings = request.app.state.settings
    local = request.app.state.tokens.is_local(request.cookies.get(LOCAL_COOKIE))
    # Who is looking, when a route already resolved it (never a query from here).
    viewer = getattr(request, "scope", {}).get("apilab.identity")
    return {"request": request, "settings": settings, "backend": settings.backend,
            "local_owner": local, "viewer": viewer, **values}
