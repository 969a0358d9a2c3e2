"""CherryPy's ``cherrypy.lib.gctools`` import path: a page that reports leaked objects.

Mount :class:`GCRoot` (CherryPy's test helper mounts it at ``/gc``) and request
``stats``: the page collects garbage, then lists uncollectable objects by type and
request/response objects that are still alive although no request is running.
:data:`request_counter` tracks the requests in flight so the report waits for them.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from cherrypit._kernel.dispatch import expose
from cherrypit._kernel.request import Request, Response
from cherrypit._kernel.site import engine
from cherrypit.process.plugins import SimplePlugin

__all__ = [
    "GCRoot",
    "ReferrerTree",
    "RequestCounter",
    "get_context",
    "get_instances",
    "request_counter",
]


def get_instances(cls: type) -> list[Any]:
    """Every live object that is an instance of ``cls``."""
    return [obj for obj in gc.get_objects() if isinstance(obj, cls)]


def get_context(obj: object) -> str:
    """A short description of ``obj`` for a referrer report."""
    if isinstance(obj, Request):
        return f"path={obj.path_info};stage={getattr(obj, 'stage', '')}"
    if isinstance(obj, Response):
        return f"status={obj.status}"
    if hasattr(obj, "tb_lineno"):
        return f"tb_lineno={obj.tb_lineno}"
    return ""


class RequestCounter(SimplePlugin):
    """Counts the requests in flight (subscribed to the engine's request channels)."""

    count = 0

    def start(self) -> None:
        self.count = 0

    def before_request(self) -> None:
        self.count += 1

    def after_request(self) -> None:
        self.count -= 1


request_counter = RequestCounter(engine)
request_counter.subscribe()


class ReferrerTree:
    """Walks the objects that refer to an object, to explain why it is still alive.

    :param ignore: objects (e.g. the list holding the instances) left out of the walk.
    :param maxdepth: how many levels of referrers to follow.
    """

    def __init__(
        self, ignore: list[Any] | None = None, maxdepth: int = 2, maxparents: int = 10
    ) -> None:
        self.ignore = [id(x) for x in (ignore or [])]
        self.maxdepth = maxdepth
        self.maxparents = maxparents

    def ascend(self, obj: object, depth: int = 1) -> list[tuple[object, list[Any]]]:
        """``[(referrer, its referrers...), ...]`` up to ``maxdepth`` levels."""
        frame = sys._getframe()
        self.ignore.append(id(frame))
        refs = gc.get_referrers(obj)
        self.ignore.append(id(refs))
        tree: list[tuple[object, list[Any]]] = []
        for parent in refs:
            if id(parent) in self.ignore or len(tree) >= self.maxparents:
                continue
            children = self.ascend(parent, depth + 1) if depth < self.maxdepth else []
            tree.append((parent, children))
        return tree

    def format(self, tree: list[tuple[object, list[Any]]], level: int = 0) -> list[str]:
        """The tree as indented lines, one per referrer."""
        lines: list[str] = []
        for parent, children in tree:
            text = repr(parent)
            if len(text) > 100:
                text = text[:100] + "..."
            lines.append("    " * level + f"{type(parent).__name__}: {text}")
            lines.extend(self.format(children, level + 1))
        return lines


class GCRoot:
    """Pages for finding reference leaks: ``index`` (a greeting) and ``stats``."""

    #: (class, fewest, most live instances expected during the stats request, why)
    classes: list[tuple[type, int, int, str]] = [
        (Request, 1, 2, "one in the thread answering this page, maybe one left in the main thread"),
        (
            Response,
            1,
            2,
            "one in the thread answering this page, maybe one left in the main thread",
        ),
    ]

    @expose
    def index(self) -> str:
        return "Hello, world!"

    @expose
    def stats(self) -> str:
        output = ["Statistics:"]
        for _ in range(10):
            if request_counter.count <= 1:
                break
            time.sleep(0.5)
        else:
            output.append("\nNot all requests closed properly.")
        gc.collect()
        gc.collect()
        unreachable = gc.collect()
        if unreachable and gc.garbage:
            counts: dict[str, int] = {}
            for obj in gc.garbage:
                counts[type(obj).__name__] = counts.get(type(obj).__name__, 0) + 1
            output.insert(0, f"\n{unreachable} unreachable objects:")
            output.extend(f"    ({n}, {name})" for name, n in sorted(counts.items()))
        for cls, fewest, most, why in self.classes:
            objs = get_instances(cls)
            if not fewest <= len(objs) <= most:
                output.append(
                    f"\nExpected {fewest} to {most} {cls.__name__} references ({why}), "
                    f"got {len(objs)}."
                )
                tree = ReferrerTree(ignore=[objs], maxdepth=3)
                for obj in objs:
                    output.append(f"\nReferrers for {obj!r}:")
                    output.extend(tree.format(tree.ascend(obj)))
        return "\n".join(output)
