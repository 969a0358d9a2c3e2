"""The engine registry: engine name → engine class.

Engines come from the ``cherrypit.template_engines`` entry-point group, and from
:func:`register_engine` for engines defined in code (tests, embedding).  An entry point
is imported only when its engine is asked for, so an engine whose library is missing
costs nothing until config selects it — and then fails with a :class:`ConfigError` that
says what to install.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from cherrypit import ConfigError
from cherrypit_templates.engine import TemplateEngine

__all__ = [
    "ENTRY_POINT_GROUP",
    "default_engine_name",
    "engine_class",
    "engine_names",
    "register_engine",
    "unregister_engine",
]

#: The entry-point group a package declares its template engines in.
ENTRY_POINT_GROUP = "cherrypit.template_engines"

#: The engine preferred when config names none and it is installed.
PREFERRED = "jinja2"

_lock = threading.Lock()
#: Engines registered in code; they shadow entry points of the same name.
_registered: dict[str, type[TemplateEngine]] = {}
#: Entry-point engines already imported.
_loaded: dict[str, type[TemplateEngine]] = {}


@functools.cache
def _entry_points() -> dict[str, Any]:
    """The group's entry points by name (installed metadata does not change at run time)."""
    from importlib_metadata import entry_points

    found: dict[str, Any] = {}
    eps = sorted(
        entry_points(group=ENTRY_POINT_GROUP),
        key=lambda ep: (ep.name, ep.dist.name if ep.dist else ""),
    )
    for ep in eps:
        # Deterministic: with duplicates, the first distribution in name order wins.
        found.setdefault(ep.name, ep)
    return found


def engine_names() -> list[str]:
    """Every known engine name (installed or registered), whether importable or not."""
    return sorted({*_entry_points(), *_registered})


def register_engine(name: str, engine: type[TemplateEngine]) -> None:
    """Make ``engine`` available as ``tools.template.engine = name`` (no entry point needed)."""
    with _lock:
        _registered[name] = engine


def unregister_engine(name: str) -> None:
    """Forget an engine registered with :func:`register_engine` (entry points stay)."""
    with _lock:
        _registered.pop(name, None)


def _install_hint(name: str, ep: Any) -> str:
    dist = ep.dist.name if ep.dist is not None else None
    if dist is None or dist == "cherrypit":
        return f"pip install 'cherrypit[{name}]'"
    return f"pip install '{dist}'"


def engine_class(name: str) -> type[TemplateEngine]:
    """The engine class registered as ``name``, importing its entry point if needed.

    :raises ConfigError: no such engine (the message lists the installed ones), or its
        package is missing (the message says what to install).
    """
    engine = _registered.get(name) or _loaded.get(name)
    if engine is not None:
        return engine
    ep = _entry_points().get(name)
    if ep is None:
        installed = ", ".join(repr(n) for n in engine_names()) or "none"
        raise ConfigError(
            f"tools.template.engine: no template engine named {name!r}; "
            f"installed engines: {installed}"
        )
    try:
        loaded = ep.load()
    except ImportError as exc:
        raise ConfigError(
            f"template engine {name!r} cannot be used because a package it needs is "
            f"missing ({exc}); install it with: {_install_hint(name, ep)}"
        ) from exc
    if not isinstance(loaded, type) or not callable(getattr(loaded, "render", None)):
        raise ConfigError(
            f"template engine {name!r}: entry point {ep.value!r} is not an engine class"
        )
    with _lock:
        _loaded[name] = loaded
    return loaded


def _usable(name: str) -> bool:
    try:
        engine_class(name)
    except ConfigError:
        return False
    return True


def default_engine_name() -> str:
    """The engine used when ``tools.template.engine`` is not set.

    Jinja2 when it is installed, otherwise the only installed engine.

    :raises ConfigError: no engine, or several engines and none of them Jinja2.
    """
    names = engine_names()
    if PREFERRED in names and _usable(PREFERRED):
        return PREFERRED
    usable = [n for n in names if _usable(n)]
    if len(usable) == 1:
        return usable[0]
    if not usable:
        raise ConfigError(
            "no template engine is installed; install one, e.g. "
            "pip install 'cherrypit[jinja2]' or pip install 'cherrypit[mako]'"
        )
    raise ConfigError(
        f"several template engines are installed ({', '.join(usable)}); "
        "choose one with tools.template.engine"
    )
