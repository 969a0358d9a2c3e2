"""``Content-Disposition`` values with RFC 6266 file names."""

from __future__ import annotations

import unicodedata
import urllib.parse

__all__ = ["content_disposition"]


def content_disposition(disposition: str, name: str) -> str:
    """``disposition`` with ``name`` as its ``filename`` (and ``filename*`` if needed).

    ``filename`` carries an ASCII rendering of ``name`` (NFKC-normalised, other
    characters dropped) for old clients; when that differs from ``name``,
    ``filename*=UTF-8''...`` (RFC 6266 appendix D, RFC 8187) carries the exact name.
    Quotes and backslashes in the ASCII form are escaped so they cannot end the
    quoted string early.
    """
    ascii_name = unicodedata.normalize("NFKC", name).encode("ascii", "ignore").decode("ascii")
    quoted = ascii_name.replace("\\", "\\\\").replace('"', '\\"')
    value = f'{disposition}; filename="{quoted}"'
    if ascii_name != name:
        value += "; filename*=UTF-8''" + urllib.parse.quote(name, safe="")
    return value
