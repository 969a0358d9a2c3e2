"""Request hook points: CherryPy's per-request extension mechanism.

A hook is a callable attached to one of the eight points of the request cycle, with a
numeric priority (lower runs first) and a ``failsafe`` flag (runs even after an
earlier hook at the same point failed).

Speed: hook lists are built and sorted once per (application, config) and shared by
every request that resolves to that config.  A request only copies a point's list when
code attaches a hook at run time (``request.hooks.attach`` from inside a request).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, ValuesView
from typing import Any

from cherrypit._kernel.errors import HTTPError, HTTPRedirect, InternalRedirect

POINTS: tuple[str, ...] = (
    "on_start_resource",
    "before_request_body",
    "before_handler",
    "before_finalize",
    "on_end_resource",
    "on_end_request",
    "before_error_response",
    "after_error_response",
)


class Hook:
    """One callback attached to a hook point."""

    __slots__ = ("callback", "failsafe", "kwargs", "priority")

    def __init__(
        self,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.callback = callback
        if failsafe is None:
            failsafe = bool(getattr(callback, "failsafe", False))
        self.failsafe = failsafe
        if priority is None:
            priority = getattr(callback, "priority", 50)
        self.priority: int = priority
        self.kwargs = kwargs

    def __lt__(self, other: Hook) -> bool:
        return self.priority < other.priority

    def __call__(self) -> Any:
        return self.callback(**self.kwargs)

    def __repr__(self) -> str:
        name = getattr(self.callback, "__name__", repr(self.callback))
        return f"Hook({name}, priority={self.priority}, failsafe={self.failsafe})"


_EMPTY: tuple[Hook, ...] = ()


class HookMap:
    """The hooks of one request, by point; copy-on-write over a shared, sorted plan.

    It answers the ``dict`` methods CherryPy's ``HookMap`` (a ``dict`` subclass)
    has; those that change it copy the shared plan first.
    """

    __slots__ = ("_owned", "_points")

    def __init__(self, points: Iterable[str] | dict[str, tuple[Hook, ...]] | None = None) -> None:
        if isinstance(points, dict):
            self._points: dict[str, Any] = points
            self._owned = False
        else:
            self._points = {p: [] for p in (points or POINTS)}
            self._owned = True

    def _own(self) -> None:
        if not self._owned:
            self._points = {p: list(h) for p, h in self._points.items()}
            self._owned = True

    def attach(
        self,
        point: str,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Attach ``callback`` at ``point``, keeping the list ordered by priority."""
        if point not in self._points:
            raise KeyError(f"unknown hook point {point!r}; known: {', '.join(POINTS)}")
        self._own()
        hooks: list[Hook] = self._points[point]
        # insort after equal priorities keeps attachment order among equals.
        bisect.insort_right(hooks, Hook(callback, failsafe, priority, **kwargs))

    def __getitem__(self, point: str) -> Any:
        self._own()
        return self._points[point]

    def __contains__(self, point: object) -> bool:
        return point in self._points

    def __setitem__(self, point: str, hooks: Any) -> None:
        self._own()
        self._points[point] = hooks

    def __delitem__(self, point: str) -> None:
        self._own()
        del self._points[point]

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)

    def keys(self) -> KeysView[str]:
        return self._points.keys()

    def values(self) -> ValuesView[Any]:
        return self._points.values()

    def items(self) -> ItemsView[str, Any]:
        return self._points.items()

    def get(self, key: str, default: Any = _EMPTY) -> Any:
        """The hooks at point ``key``, or ``default`` (no hooks) for an unknown point."""
        return self._points.get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._own()
        return self._points.setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._own()
        return self._points.pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._own()
        return self._points.popitem()

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        self._own()
        self._points.update(other, **kwargs)

    def clear(self) -> None:
        self._points = {}
        self._owned = True

    @classmethod
    def fromkeys(cls, iterable: Iterable[str], value: Any = None) -> HookMap:
        """A map with the points in ``iterable``; each starts empty unless ``value`` is given."""
        if value is None:
            return cls(iterable)
        new = cls()
        new._points = dict.fromkeys(iterable, value)
        return new

    def copy(self) -> HookMap:
        new = HookMap()
        new._points = {p: list(h) for p, h in self._points.items()}
        return new

    def run(self, point: str) -> None:
        """Run every hook at ``point``; see :func:`run_hooks`."""
        hooks = self._points[point]
        if hooks:
            run_hooks(hooks)

    def __repr__(self) -> str:
        return f"HookMap({self._points!r})"

    @classmethod
    def run_hooks(cls, hooks: Iterable[Hook]) -> None:
        run_hooks(hooks)


def run_hooks(hooks: Iterable[Hook]) -> None:
    """Run ``hooks`` in order.

    After a hook fails, only ``failsafe`` hooks still run; the first failure is then
    re-raised.  Unexpected exceptions are logged with their traceback at the moment they
    happen, so a later failsafe hook cannot hide them.
    """
    failure: BaseException | None = None
    for hook in hooks:
        if failure is None or hook.failsafe:
            try:
                hook.callback(**hook.kwargs)
            except (KeyboardInterrupt, SystemExit):
                raise
            except (HTTPError, HTTPRedirect, InternalRedirect) as exc:
                # Keep the first failure: a failsafe hook failing later must not hide it.
                failure = exc if failure is None else failure
            except Exception as exc:
                failure = exc if failure is None else failure
                from cherrypit._kernel.site import log

                log(traceback=True, severity=40)
    if failure is not None:
        raise failure
