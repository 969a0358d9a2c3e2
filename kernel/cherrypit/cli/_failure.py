"""Where the application's code failed: the last frames that are the user's own.

An import error of the TARGET is reported as one ``cherrypit: error:`` line followed by
the location in the user's code (file, line, source line), not the dozen frames of
``importlib`` and of the command itself; ``--traceback`` prints everything.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from collections.abc import Sequence

__all__ = ["print_failure", "user_frames", "where_it_failed"]

#: How many of the user's innermost frames are shown.
MAX_FRAMES = 3

_STDLIB = tuple(
    os.path.normcase(os.path.abspath(p)) + os.sep
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)
_SITE = ("site-packages", "dist-packages")


def _is_user_code(frame: traceback.FrameSummary, module: str) -> bool:
    top = module.partition(".")[0]
    if top == "cherrypit" or top.startswith("cherrypit_"):
        return False
    filename = frame.filename
    if filename.startswith("<frozen") or top in ("importlib", "runpy"):
        return False
    path = os.path.normcase(os.path.abspath(filename))
    # A virtualenv may live inside the stdlib prefix; site-packages is never stdlib.
    return not (path.startswith(_STDLIB) and not any(s in path for s in _SITE))


def user_frames(exc: BaseException, limit: int = MAX_FRAMES) -> list[traceback.FrameSummary]:
    """The innermost ``limit`` frames of ``exc``'s traceback that run the user's code."""
    summaries: list[traceback.FrameSummary] = []
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        summary = traceback.FrameSummary(
            frame.f_code.co_filename, lineno, frame.f_code.co_name, lookup_line=True
        )
        if _is_user_code(summary, module):
            summaries.append(summary)
    return summaries[-limit:]


def where_it_failed(exc: BaseException) -> list[str]:
    """Lines locating ``exc`` in the user's code, indented like a traceback's."""
    lines: list[str] = []
    for summary in user_frames(exc):
        lines.append(f'  File "{summary.filename}", line {summary.lineno}, in {summary.name}')
        if summary.line:
            lines.append(f"    {summary.line.strip()}")
    if isinstance(exc, SyntaxError) and exc.filename:
        # The location is the exception's, not a frame's: the code never ran.
        detail = traceback.format_exception_only(type(exc), exc)
        for chunk in detail[:-1]:
            lines.extend(line for line in chunk.rstrip("\n").split("\n"))
    return lines


def print_failure(message: str, cause: BaseException | None, full: bool, prog: str) -> None:
    """Print ``prog: error: message``, then where ``cause`` failed (or all of it)."""
    out: Sequence[str]
    if cause is None:
        out = []
    elif full:
        out = "".join(traceback.format_exception(cause)).rstrip("\n").split("\n")
    else:
        out = where_it_failed(cause)
        if out:
            out = [*out, "  (add --traceback for the whole traceback)"]
    if full:
        for line in out:
            print(line, file=sys.stderr)
        print(f"{prog}: error: {message}", file=sys.stderr)
        return
    print(f"{prog}: error: {message}", file=sys.stderr)
    for line in out:
        print(line, file=sys.stderr)
