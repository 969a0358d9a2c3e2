"""Tracebacks for people: the application's frames first, the framework's folded.

A traceback out of a page handler runs through the request cycle, the tools and the
dispatcher before it reaches the application, so most of its frames are cherrypit's.
:class:`ErrorReport` splits the frames by the module that owns them: cherrypit, its
plugins, cheroot and pluggy are the framework; everything else (the application, the
standard library, other libraries) is shown.  The framework frames are counted in the
text form and kept, collapsed, in the HTML form.
"""

from __future__ import annotations

import html
import traceback as _traceback
from types import TracebackType
from typing import Any

__all__ = ["ErrorReport", "is_framework_module"]

_FRAMEWORK_PACKAGES = ("cherrypit", "cheroot", "pluggy")
_PLUGIN_PREFIX = "cherrypit_"
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def is_framework_module(name: str) -> bool:
    """Whether module ``name`` belongs to the framework (cherrypit, its plugins, cheroot)."""
    if name.startswith(_PLUGIN_PREFIX):
        return True
    package = name.partition(".")[0]
    return package in _FRAMEWORK_PACKAGES


def _frame_flags(tb: TracebackType | None) -> list[bool]:
    """For each frame of ``tb``, innermost last: does the framework own it?"""
    flags = []
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        flags.append(is_framework_module(module) if isinstance(module, str) else False)
        tb = tb.tb_next
    return flags


class _Link:
    """One exception of a chain, with its frames split into application and framework."""

    __slots__ = ("app_frames", "exception_lines", "framework_count", "separator")

    def __init__(self, exc: BaseException, separator: str) -> None:
        self.separator = separator
        summary = _traceback.TracebackException(
            type(exc), exc, exc.__traceback__, compact=True
        ).stack
        flags = _frame_flags(exc.__traceback__)
        if len(flags) != len(summary):  # a frame without source info: treat all as app
            flags = [False] * len(summary)
        frames = _traceback.StackSummary.from_list(
            [frame for frame, framework in zip(summary, flags, strict=True) if not framework]
        )
        self.app_frames = frames.format()
        self.framework_count = flags.count(True)
        self.exception_lines = _traceback.format_exception_only(type(exc), exc)


def _chain(exc: BaseException) -> list[_Link]:
    """The exception and what caused it, oldest first (as Python prints them)."""
    links: list[_Link] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # The separator is printed before ``current``, after what led to it.
        if current.__cause__ is not None:
            earlier, separator = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            earlier, separator = current.__context__, _CONTEXT
        else:
            earlier, separator = None, ""
        if earlier is not None and id(earlier) in seen:
            earlier, separator = None, ""
        links.append(_Link(current, separator))
        current = earlier
    links.reverse()
    return links


class ErrorReport:
    """What the development error page says about an unexpected exception.

    ``text()`` is the traceback of the application's frames, with a count of the
    framework frames left out (for JSON errors and ``error_page.*`` callables and
    templates, whose ``traceback`` field it is); ``html()`` is the page's markup: the
    error, the request line, the application's frames, and the whole traceback in a
    collapsed ``<details>`` element.  Every value is HTML-escaped.
    """

    __slots__ = ("_exc", "_links", "request_line")

    def __init__(self, exc: BaseException, request_line: str = "") -> None:
        self._exc = exc
        self._links = _chain(exc)
        self.request_line = request_line

    @property
    def framework_frames(self) -> int:
        """How many frames of the traceback (its whole chain) belong to the framework."""
        return sum(link.framework_count for link in self._links)

    @property
    def application_frames(self) -> int:
        return sum(len(link.app_frames) for link in self._links)

    def headline(self) -> str:
        """The exception's last line (``ValueError: bad input``)."""
        return "".join(self._links[-1].exception_lines).strip()

    def _heading(self, link: _Link) -> str:
        if link.framework_count:
            plural = "s" if link.framework_count != 1 else ""
            hidden = f"{link.framework_count} cherrypit frame{plural} left out"
            if not link.app_frames:
                return f"Traceback (no application frames; {hidden}):\n"
            return f"Traceback (most recent call last; {hidden}):\n"
        return "Traceback (most recent call last):\n"

    def _app_parts(self) -> list[str]:
        parts: list[str] = []
        for link in self._links:
            if link.separator:
                parts.append(f"\n{link.separator}\n\n")
            parts.append(self._heading(link))
            parts.extend(link.app_frames)
            parts.extend(link.exception_lines)
        return parts

    def text(self) -> str:
        """The application's part of the traceback, as plain text."""
        return "".join(self._app_parts())

    def full_text(self) -> str:
        """The whole traceback, as Python prints it."""
        exc = self._exc
        return "".join(_traceback.format_exception(type(exc), exc, exc.__traceback__))

    def html(self) -> str:
        """The markup for the inside of the page's ``<pre id="traceback">``."""
        esc = _escape
        total = self.framework_frames + self.application_frames
        folded = self.framework_frames
        opened = " open" if not self.application_frames else ""
        summary = f"Full traceback ({total} frames, {folded} of them cherrypit's)"
        out = [f'<strong class="error">{esc(self.headline())}</strong>\n']
        if self.request_line:
            out.append(f'<span class="request">{esc(self.request_line)}</span>\n')
        out.append("\n")
        if self.application_frames:
            out.append(esc(self.text()))
        if folded:
            out.append(
                f"<details{opened}><summary>{esc(summary)}</summary>"
                f"{esc(self.full_text())}</details>"
            )
        return "".join(out)


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=False)
