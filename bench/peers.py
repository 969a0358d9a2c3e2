"""The benchmark applications again, in the frameworks cherrypit is compared with.

Each peer answers the requests of :mod:`bench.cases` with the same status and body
as the CherryPy-API apps of :mod:`bench.apps`, written the way that framework's own
documentation writes them:

- ``falcon``: Falcon's ``App`` with one resource class per route;
- ``bottle``: Bottle's ``Bottle`` with route decorators;
- ``raw``: a bare WSGI callable (one ``if`` per path), the floor any framework adds to.

Falcon and Bottle live in their own virtualenv (``bench/setup-peers.sh``), never in
the project's dependencies; ``raw`` needs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["PEER_NAMES", "Skip", "framework_name", "mount", "version"]

PEER_NAMES = ("falcon", "bottle", "raw")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Skip(Exception):
    """The peer has no equivalent of this app."""


_framework = ""


def select(name: str) -> None:
    """Pick the peer :func:`mount` builds apps for (``falcon``, ``bottle`` or ``raw``)."""
    global _framework
    if name not in PEER_NAMES:
        raise ValueError(f"unknown peer {name!r}; choose from {', '.join(PEER_NAMES)}")
    if name != "raw":
        __import__(name)  # fails here, with the interpreter's name, if it is missing
    _framework = name


def framework_name() -> str:
    return _framework


def version() -> str:
    if _framework == "raw":
        return "-"
    module = __import__(_framework)
    return str(getattr(module, "__version__", "?"))


def mount(app_name: str) -> WSGIApp:
    """The WSGI callable answering ``app_name``'s request under the selected peer.

    :raises Skip: for ``session`` (none of the peers has sessions built in).
    """
    if app_name == "session":
        raise Skip(f"{_framework} has no built-in sessions")
    builders = {"falcon": _falcon, "bottle": _bottle, "raw": _raw}
    return builders[_framework](app_name)


# --- Falcon -------------------------------------------------------------------------


def _falcon(app_name: str) -> WSGIApp:
    import falcon

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello world!"

    class Params:
        def on_get(self, req: Any, resp: Any, x: str) -> None:
            resp.media = {"x": x, "a": req.get_param("a"), "b": req.get_param("b")}

    class Echo:
        def on_post(self, req: Any, resp: Any) -> None:
            data = req.get_media()
            resp.media = {**data, "value": data["value"] * 2}

    from bench.cases import static_dir

    app = falcon.App()
    app.add_static_route("/static", static_dir())
    app.add_route("/", Hello())
    app.add_route("/p/{x}", Params())
    app.add_route("/echo", Echo())
    wsgi: WSGIApp = app
    return wsgi


# --- Bottle -------------------------------------------------------------------------


def _bottle(app_name: str) -> WSGIApp:
    import bottle

    from bench.cases import static_dir

    app = bottle.Bottle()
    folder = static_dir()

    @app.get("/static/<name>")
    def static(name: str) -> Any:
        return bottle.static_file(name, root=folder)

    @app.get("/")
    def hello() -> str:
        return "Hello world!"

    @app.get("/p/<x>")
    def params(x: str) -> dict[str, str]:
        query = bottle.request.query
        return {"x": x, "a": query.a, "b": query.b}

    @app.post("/echo")
    def echo() -> dict[str, Any]:
        data = bottle.request.json
        return {**data, "value": data["value"] * 2}

    wsgi: WSGIApp = app
    return wsgi


# --- a bare WSGI callable ---------------------------------------------------------------


def _raw(app_name: str) -> WSGIApp:
    import os
    from urllib.parse import parse_qs

    from bench.cases import STATIC_NAME, static_dir

    text = [("Content-Type", "text/plain; charset=utf-8")]
    static_file = os.path.join(static_dir(), STATIC_NAME)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        method = environ["REQUEST_METHOD"]
        if path == "/" and method == "GET":
            body = b"Hello world!"
            headers = text
        elif path == "/static/" + STATIC_NAME and method == "GET":
            with open(static_file, "rb") as f:
                body = f.read()
            headers = [("Content-Type", "application/octet-stream")]
        elif path.startswith("/p/") and method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            answer = {"x": path[3:], "a": query["a"][0], "b": query["b"][0]}
            body = json.dumps(answer).encode()
            headers = [("Content-Type", "application/json")]
        elif path == "/echo" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = json.loads(environ["wsgi.input"].read(length))
            body = json.dumps({**data, "value": data["value"] * 2}).encode()
            headers = [("Content-Type", "application/json")]
        else:
            body = b"404 Not Found"
            start_response("404 Not Found", [*text, ("Content-Length", str(len(body)))])
            return [body]
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app
