"""Typed per-request storage for plugins: ``request.stash[KEY]``.

Plugins keep what they know about a request here instead of inventing attributes on
it: each plugin makes its own :class:`StashKey` objects (module globals), so two
plugins cannot collide, and the key carries the value's type for the type checker.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast, overload

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """A key of :class:`Stash`; the type parameter is the type of its value.

    ``CLAIM = StashKey[tuple[str, int]]("cache claim")`` — the name only shows in
    ``repr`` and error messages; keys are compared by identity.
    """

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<StashKey {self.name or hex(id(self))}>"


class Stash:
    """A mapping from :class:`StashKey` objects to values of their types."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[StashKey[Any], Any] = {}

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._values[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        try:
            return cast("T", self._values[key])
        except KeyError:
            raise KeyError(key) from None

    @overload
    def get(self, key: StashKey[T]) -> T | None: ...
    @overload
    def get(self, key: StashKey[T], default: D) -> T | D: ...
    def get(self, key: StashKey[T], default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when it was never set."""
        return self._values.get(key, default)

    def setdefault(self, key: StashKey[T], default: T) -> T:
        """The value of ``key``, setting it to ``default`` first when missing."""
        return cast("T", self._values.setdefault(key, default))

    def pop(self, key: StashKey[T], default: Any = None) -> Any:
        """Remove ``key`` and return its value (``default`` when it was not set)."""
        return self._values.pop(key, default)

    def __delitem__(self, key: StashKey[T]) -> None:
        del self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Stash({self._values!r})"
