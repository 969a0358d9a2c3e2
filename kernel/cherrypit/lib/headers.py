"""CherryPy's ``cherrypy.lib.headers`` import path: ``parse_header``.

The parsing is the kernel's header-element parser, :meth:`HeaderElement.parse
<cherrypit._kernel.headers.HeaderElement.parse>`.
"""

from __future__ import annotations

from cherrypit._kernel.headers import HeaderElement

__all__ = ["parse_header"]


def parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type``-like value into its main value and its parameters.

    ``'text/html; charset="utf-8"'`` gives ``('text/html', {'charset': 'utf-8'})``:
    parameter names are lower-cased, quoted values unquoted, and a ``;`` inside
    quotes does not split.  This is what the removed ``cgi.parse_header`` did.
    """
    return HeaderElement.parse(line)
