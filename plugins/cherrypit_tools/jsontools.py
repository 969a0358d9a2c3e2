"""JSON request and response bodies: ``tools.json_in`` and ``tools.json_out``.

``json_in`` parses a JSON request entity into ``request.json``; ``json_out`` turns
whatever the page handler returns into a JSON response.  The wire format is the
standard library's default encoder's (``{"a": [1, true]}``, non-ASCII escaped), as
in CherryPy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from cherrypit import HTTPError, log
from cherrypit.plugin import current

__all__ = ["json_handler", "json_in", "json_out", "json_processor"]

_decode = json.JSONDecoder().decode
_encode = json.JSONEncoder().encode


def json_processor(entity: Any) -> None:
    """Body processor: parse a JSON entity into ``request.json``.

    :raises cherrypit.HTTPError: 411 without a ``Content-Length``; 400 ("Invalid
        JSON document") when the entity is not UTF-8 JSON.
    """
    if not entity.headers.get("Content-Length", ""):
        raise HTTPError(411)
    raw = entity.fp.read()
    # Deep nesting exhausts the decoder's recursion: bad input like any other.
    with HTTPError.handle((ValueError, RecursionError), 400, "Invalid JSON document"):
        current().request.json = _decode(raw.decode("utf-8"))


_DEFAULT_JSON_TYPES = ("application/json", "text/javascript")


class _Refuse415:
    """A body processor that refuses the entity with 415 (built once per type list)."""

    __slots__ = ("message",)

    def __init__(self, types: tuple[str, ...]) -> None:
        self.message = f"Expected an entity of content type {', '.join(types)}"

    def __call__(self, *args: Any) -> None:
        raise HTTPError(415, self.message)


@functools.lru_cache(maxsize=64)
def _refusal(types: tuple[str, ...]) -> _Refuse415:
    return _Refuse415(types)


def json_in(
    content_type: str | Iterable[str] = _DEFAULT_JSON_TYPES,
    force: bool = True,
    debug: bool = False,
    processor: Callable[[Any], None] = json_processor,
) -> None:
    """Parse request entities of the JSON ``content_type`` (one or several) with
    ``processor`` (default: into ``request.json``).

    :param force: refuse every other entity with 415 instead of processing it as
        usual.
    """
    types = [content_type] if isinstance(content_type, str) else list(content_type)
    body = current().request.body
    if force:
        if debug:
            log(f"Removing body processors {sorted(body.processors)!r}", "TOOLS.JSON_IN")
        body.processors.clear()
        body.default_proc = _refusal(tuple(types))
    for media_type in types:
        if debug:
            log(f"Adding body processor for {media_type}", "TOOLS.JSON_IN")
        body.processors[media_type] = processor


def json_handler(*args: Any, **kwargs: Any) -> bytes:
    """The default ``json_out`` handler: the wrapped handler's result as JSON bytes.

    A custom ``handler`` gets the same arguments and finds the page handler in
    ``request._json_inner_handler``.
    """
    value = current().request._json_inner_handler(*args, **kwargs)
    return _encode(value).encode("utf-8")


def json_out(
    content_type: str | None = "application/json",
    debug: bool = False,
    handler: Callable[..., Any] = json_handler,
) -> None:
    """Serialise what the page handler returns as JSON, with ``handler``.

    Sets ``Content-Type`` to ``content_type`` unless it is None.  Does nothing when
    another tool already answered the request (``request.handler`` is None).
    """
    slot = current()
    request = slot.request
    if request.handler is None:
        return
    if debug:
        log(f"Replacing {request.handler!r} with a JSON handler", "TOOLS.JSON_OUT")
    request._json_inner_handler = request.handler
    request.handler = handler
    if content_type is not None:
        if debug:
            log(f"Setting Content-Type to {content_type}", "TOOLS.JSON_OUT")
        slot.response.headers["Content-Type"] = content_type
