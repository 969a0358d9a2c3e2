"""A griffe extension for the API reference: the docstrings' reST markup as Markdown.

The docstrings are written for ``help()`` and editors, in reST's conventions: Sphinx roles
(``:class:`Tool```) and ``::`` before a literal block.  mkdocstrings renders Markdown, where
a role would show up verbatim; this rewrites both while the API pages are built.  Attributes
are documented the Sphinx way too, by ``#:`` comments on the lines just above them, which
griffe does not read by itself: they become the attributes' docstrings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import griffe

# :class:`x`, :meth:`~a.b.c` (the tilde shows only the last dotted part), :py:func:`x`.
_ROLE = re.compile(r":(?:py:)?[a-z]+:`(?P<tilde>~?)(?P<target>[^`]+)`")
# "text::" ending a paragraph introduces a literal block: Markdown needs only the colon.
_LITERAL_INTRO = re.compile(r"(?<=\S)::$", re.MULTILINE)
_LITERAL_ALONE = re.compile(r"^[ \t]*::[ \t]*$\n?", re.MULTILINE)


def _role(match: re.Match[str]) -> str:
    target = match["target"]
    if match["tilde"]:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def to_markdown(text: str) -> str:
    """The docstring ``text`` with reST roles and literal-block markers made Markdown."""
    text = _ROLE.sub(_role, text)
    text = _LITERAL_ALONE.sub("", text)
    return _LITERAL_INTRO.sub(":", text)


def comment_doc(lines: list[str], lineno: int) -> str | None:
    """The ``#:`` comment block right above line ``lineno`` (1-based), if any."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        found.append(lines[index].lstrip()[2:].strip())
        index -= 1
    return "\n".join(reversed(found)) or None


class RstMarkup(griffe.Extension):
    """Rewrites every docstring griffe loads; reads ``#:`` comments of attributes."""

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        if attr.docstring is None and attr.lineno is not None:
            path = attr.filepath
            known = isinstance(path, Path) and path in attr.lines_collection
            text = comment_doc(attr.lines_collection[path], attr.lineno) if known else None
            if text is not None:
                attr.docstring = griffe.Docstring(to_markdown(text), parent=attr)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
