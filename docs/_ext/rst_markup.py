"""A griffe extension for the API reference: the docstrings' reST markup as Markdown.

The docstrings are written for ``help()`` and editors, in reST's conventions: Sphinx roles
(``:class:`Tool```) and ``::`` before a literal block.  mkdocstrings renders Markdown, where
a role would show up verbatim; this rewrites both while the API pages are built.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# :class:`x`, :meth:`~a.b.c` (the tilde shows only the last dotted part), :py:func:`x`.
_ROLE = re.compile(r":(?:py:)?[a-z]+:`(?P<tilde>~?)(?P<target>[^`]+)`")
# "text::" ending a paragraph introduces a literal block: Markdown needs only the colon.
_LITERAL_INTRO = re.compile(r"(?<=\S)::$", re.MULTILINE)
_LITERAL_ALONE = re.compile(r"^\s*::\s*$\n?", re.MULTILINE)


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


class RstMarkup(griffe.Extension):
    """Rewrites every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
