"""The contract between the templates plugin and a template engine.

An engine is a class registered in the ``cherrypit.template_engines`` entry-point group.
The plugin builds one instance per distinct set of directories and options and keeps it,
so an engine should compile each template once and reuse it (Jinja2's environment and
Mako's lookup both do).

Engines report problems with the two exceptions below, raised ``from`` the library's own
exception, so that the plugin can log and show a message naming the template and line
without knowing the library.  Exceptions that are not template problems — cherrypit's
``HTTPError``, ``HTTPRedirect`` and ``InternalRedirect`` raised by code a template calls —
must propagate unchanged.
"""

from __future__ import annotations

import os.path
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar, Protocol

__all__ = ["TemplateEngine", "TemplateError", "TemplateNotFound", "find_template_frame"]


class TemplateEngine(Protocol):
    """What the templates plugin expects of an engine class.

    :param directories: absolute paths of the directories to load templates from, in
        search order.
    :param options: engine options; ``autoescape`` (bool) is always given, the rest come
        from the ``tools.template.options`` config dict.
    """

    #: The engine's name (usually its entry-point name), for messages.
    name: ClassVar[str]

    def __init__(self, directories: list[str], **options: Any) -> None: ...

    def render(self, template_name: str, context: dict[str, Any]) -> str:
        """Render ``template_name`` with ``context``.

        :raises TemplateNotFound: the template (or one it includes or extends) does not
            exist.
        :raises TemplateError: the template does not compile, or failed while rendering.
        """
        ...


class TemplateNotFound(LookupError):
    """A template could not be found in the engine's directories.

    :param name: the template name that was looked up (it may be one that the rendered
        template includes or extends).
    :param searched: the directories that were searched.
    """

    def __init__(self, name: str, searched: Sequence[str] = ()) -> None:
        self.name = name
        self.searched = list(searched)
        where = ", ".join(self.searched) if self.searched else "no template directories"
        super().__init__(f"template {name!r} not found; searched: {where}")


class TemplateError(Exception):
    """A template failed to compile or to render.

    :param message: what went wrong, without the location.
    :param name: the template that was being rendered.
    :param filename: the file the error is in (the rendered template or one it includes
        or extends), when known.
    :param lineno: the line in ``filename``, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str,
        filename: str | None = None,
        lineno: int | None = None,
    ) -> None:
        self.message = message
        self.name = name
        self.filename = filename
        self.lineno = lineno
        super().__init__(f"{self.location}: {message}")

    @property
    def location(self) -> str:
        """``template 'page.html' (/srv/templates/page.html, line 3)`` or less, if unknown."""
        parts = []
        if self.filename:
            parts.append(self.filename)
        if self.lineno is not None:
            parts.append(f"line {self.lineno}")
        where = f" ({', '.join(parts)})" if parts else ""
        return f"template {self.name!r}{where}"


def find_template_frame(
    tb: TracebackType | None, directories: Sequence[str]
) -> tuple[str, int] | None:
    """The innermost traceback entry whose file lies in one of ``directories``.

    Engines whose tracebacks point at template files (Jinja2 rewrites them that way) use
    this to locate a runtime error.

    :returns: ``(filename, line number)``, or ``None`` if no frame is a template file.
    """
    roots = [os.path.join(os.path.normpath(d), "") for d in directories]
    found: tuple[str, int] | None = None
    for entry in traceback.extract_tb(tb):
        filename = os.path.normpath(entry.filename)
        if entry.lineno is not None and any(filename.startswith(root) for root in roots):
            found = (filename, entry.lineno)
    return found
