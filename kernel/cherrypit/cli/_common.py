"""What every ``cherrypit`` sub-command shares: the program name and the error line."""

from __future__ import annotations

import sys

__all__ = ["PROG", "error"]

PROG = "cherrypit"


def error(message: str) -> None:
    """Report a problem the user can fix as one ``cherrypit: error: ...`` line on stderr."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
