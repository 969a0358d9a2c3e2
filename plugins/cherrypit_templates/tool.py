"""``tools.template`` and the ``render`` decorator.

Both wrap a page handler: when it returns a dict, the dict (plus ``request``,
``response``, ``url`` and ``session``) is rendered with the named template and the page
is the result; any other return value is the response body unchanged.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from cherrypit import Tool
from cherrypit.plugin import Attachment, current
from cherrypit_templates.rendering import Renderer

__all__ = ["TemplateTool", "render", "template"]

F = TypeVar("F", bound=Callable[..., Any])

#: before_handler priority: after json_out (30), before encode (70).
PRIORITY = 50


def template(
    name: str | None = None,
    engine: str | None = None,
    directories: str | os.PathLike[str] | list[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    autoescape: bool = True,
    options: Mapping[str, Any] | None = None,
    debug: bool = False,
) -> None:
    """Render the page handler's dict result with a template (``tools.template``).

    :param name: the template to render, e.g. ``"page.html"``.
    :param engine: the engine's registry name (``"jinja2"``, ``"mako"``…); default:
        Jinja2 if installed, else the only installed engine.
    :param directories: the template directories, in search order; absolute or
        relative to ``root``.
    :param root: an absolute directory that relative ``directories`` are joined to.
    :param autoescape: escape values for HTML (on by default).
    :param options: extra keyword arguments for the engine.
    :param debug: log which template and engine render each page.
    """
    # Only the signature matters: the kernel reads the setting names from it.  The work
    # is done by the Renderer that TemplateTool's attachment carries.


class TemplateTool(Tool):
    """``tools.template``: wrap the page handler so a dict result becomes a rendered page.

    Accepts the template name as the only positional argument as well:
    ``@cherrypit.tools.template("page.html")``.
    """

    def __init__(self) -> None:
        super().__init__("before_handler", template, priority=PRIORITY)

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        if len(args) == 1 and isinstance(args[0], str) and "name" not in kwargs:
            kwargs["name"] = args[0]
            args = ()
        return super().__call__(*args, **kwargs)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        renderer = Renderer(settings)

        def wrap_handler() -> None:
            _wrap_current_handler(renderer)

        return [Attachment(self._point, wrap_handler, priority)]


def _wrap_current_handler(renderer: Renderer) -> None:
    request = current().request
    inner = request.handler
    if inner is None:
        # Another tool answered the request already.
        return

    def handler(*args: Any, **kwargs: Any) -> Any:
        value = inner(*args, **kwargs)
        if isinstance(value, dict):
            return renderer.render(renderer.template_name(), value)
        return value

    request.handler = handler


def render(
    template_name: str,
    *,
    engine: str | None = None,
    directories: str | os.PathLike[str] | list[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    autoescape: bool | None = None,
    options: Mapping[str, Any] | None = None,
) -> Callable[[F], F]:
    """Decorate a page handler so that a dict it returns is rendered with ``template_name``.

    Settings not given here come from the path's ``tools.template.*`` config (the tool
    itself need not be on)::

        @cherrypit.expose
        @render("page.html", engine="mako")
        def index(self):
            return {"title": "Home"}

    :returns: the decorator; the wrapped function keeps the handler's attributes
        (``exposed``, ``_cp_config``).
    """
    overrides = {
        key: value
        for key, value in (
            ("engine", engine),
            ("directories", directories),
            ("root", root),
            ("autoescape", autoescape),
            ("options", options),
        )
        if value is not None
    }

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = func(*args, **kwargs)
            if not isinstance(value, dict):
                return value
            toolmaps = current().request.toolmaps
            settings = dict(toolmaps.get("tools", {}).get("template", {}))
            for key in ("on", "priority", "name"):
                settings.pop(key, None)
            settings.update(overrides)
            return Renderer(settings).render(template_name, value)

        return cast("F", wrapper)

    return decorate
