"""Reading a ``Range`` request header the way CherryPy does, minus its crashes.

CherryPy reads any unit as bytes (``items=0-5`` is honoured) and checks the first
position against the length before it checks the order of the two positions; both are
kept so that answers match.  Where CherryPy raised (a malformed header gave a 500) the
header is ignored instead, and a range that selects no byte (``bytes=-0``, any range of
an empty file) counts as unsatisfiable.  Ranges ending past the end are clipped.
"""

from __future__ import annotations

import re

__all__ = ["MAX_RANGES", "parse_ranges", "worth_serving"]

_NUMBER = re.compile(r"[0-9]+")

#: More ranges than this in one request are answered with the whole file.
MAX_RANGES = 64

#: Positions with more significant digits than this are read as ``_BEYOND_ANY_FILE``.
_MAX_DIGITS = 18
_BEYOND_ANY_FILE: int = 10**_MAX_DIGITS


def _number(text: str) -> int | None:
    # A position past every possible file means the same as any other such position
    # (unsatisfiable start, clipped end, whole-file suffix), so long numbers are capped:
    # int() refuses over 4300 digits and converting huge ones costs time.
    if not _NUMBER.fullmatch(text):
        return None
    digits = text.lstrip("0")
    if len(digits) > _MAX_DIGITS:
        return _BEYOND_ANY_FILE
    return int(digits or "0")


def parse_ranges(header: str | None, length: int) -> list[tuple[int, int]] | None:
    """``(start, stop)`` slices (``stop`` exclusive, within ``length``) asked for by ``header``.

    :param header: the ``Range`` header value, or ``None``.
    :param length: the size of the whole representation.
    :returns: ``None`` to ignore the header (absent or invalid: answer 200), ``[]``
        when no range can be satisfied (answer 416), else the ranges in header order.
    """
    if not header:
        return None
    _unit, sep, specs = header.partition("=")
    if not sep:
        return None
    ranges: list[tuple[int, int]] = []
    for spec in specs.split(","):
        first_text, dash, last_text = spec.partition("-")
        if not dash:
            return None
        first_text, last_text = first_text.strip(), last_text.strip()
        if first_text:
            first = _number(first_text)
            last = _number(last_text) if last_text else length - 1
            if first is None or last is None:
                return None
            if first >= length:
                continue  # unsatisfiable, but the others may still be served
            if last < first:
                return None  # syntactically invalid: the whole header is ignored
            ranges.append((first, min(last + 1, length)))
        else:
            if not last_text:
                return None
            suffix = _number(last_text)
            if suffix is None:
                return None
            if suffix == 0 or length == 0:
                continue
            ranges.append((max(length - suffix, 0), length))
    return ranges


def worth_serving(ranges: list[tuple[int, int]], length: int) -> bool:
    """Whether a multi-range answer stays reasonable (RFC 7233 section 6.1).

    Many ranges, or overlapping ranges adding up to more than the file, would let a
    short request ask for a huge answer; such requests get the whole file instead.
    """
    if len(ranges) > MAX_RANGES:
        return False
    return sum(stop - start for start, stop in ranges) <= length
