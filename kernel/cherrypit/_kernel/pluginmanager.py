"""Finding, loading and wiring plugins (pluggy), once, at start-up.

Plugins come from the ``cherrypit.plugins`` entry-point group — first-party and
third-party alike — in a deterministic order (entry-point name, then distribution).
Loading is lazy: the first thing that needs a plugin (a config namespace nobody owns
yet, a missing tool, ``engine.start()``, a compat name) triggers it.

Switches: config ``plugins.disable = ["name", ...]`` blocks plugins by entry-point
name (before or after loading); ``CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry
points entirely, leaving only plugins registered by hand (:func:`register`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from cherrypit._kernel import hookspecs
from cherrypit._kernel.errors import ConfigError

ENTRY_POINT_GROUP = "cherrypit.plugins"
AUTOLOAD_ENV = "CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(ConfigError):
    """A plugin failed to load or conflicts with another; the message names it."""


@dataclass
class PluginInfo:
    """What ``cherrypit plugins`` shows about one plugin."""

    name: str
    module: str
    distribution: str
    version: str
    enabled: bool
    #: Why the plugin could not be used (it failed to import, or breaks the hook
    #: contract), when it was loaded with ``tolerate_broken``; empty otherwise.
    error: str = ""


class _State:
    def __init__(self) -> None:
        self.pm = make_plugin_manager()
        #: Set when a load starts (so the loading thread's nested calls return at once).
        self.loaded = False
        #: Set when a load has finished: only then may other threads skip the lock.
        self.ready = False
        self.autoload = True
        self.disabled: set[str] = set()
        self.infos: dict[str, PluginInfo] = {}
        self.set_up: set[str] = set()
        self.lock = threading.RLock()


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh pluggy manager that knows cherrypit's hook specifications."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


_state = _State()


def plugin_manager() -> pluggy.PluginManager:
    """The site's plugin manager (plugins loaded)."""
    ensure_loaded()
    return _state.pm


def _entry_points() -> list[Any]:
    from importlib_metadata import entry_points

    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    return sorted(eps, key=lambda ep: (ep.name, ep.dist.name if ep.dist else ""))


def ensure_loaded(tolerate_broken: bool = False) -> None:
    """Load the entry-point plugins (once) and wire their contributions.

    :param tolerate_broken: a plugin that fails to import or breaks the hook contract
        is left out and recorded (:attr:`PluginInfo.error`, :func:`broken_plugins`)
        instead of failing the load; the command line uses it so that one broken
        plugin does not stop every command.
    """
    if _state.ready:
        return
    with _state.lock:
        if _state.loaded:
            return
        _state.loaded = True
        try:
            if _state.autoload and not os.environ.get(AUTOLOAD_ENV):
                _load_entry_points(tolerate_broken)
            _state.pm.check_pending()
            # Inside the try: a wiring conflict must not leave a half-wired site that
            # later calls would take for loaded.
            wire()
        except pluggy.PluginValidationError as exc:
            _state.loaded = False
            _forget_contributions()
            name = _state.pm.get_name(exc.plugin) or repr(exc.plugin)
            info = _state.infos.get(name)
            dist = f" (distribution {info.distribution!r})" if info else ""
            raise PluginError(
                f"plugin {name!r}{dist} does not match the hook contract: {exc}"
            ) from exc
        except Exception:
            _state.loaded = False
            _forget_contributions()
            raise
        _state.ready = True


def _forget_contributions() -> None:
    from cherrypit._kernel import site

    site.toolbox.forget_plugin_tools()
    site.reset_plugin_namespaces()


def _load_entry_points(tolerate_broken: bool = False) -> None:
    pm = _state.pm
    seen: set[str] = set()
    for ep in _entry_points():
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        if ep.name in seen:
            raise PluginError(
                f"two installed plugins use the entry-point name {ep.name!r} "
                f"(second one from distribution {dist!r})"
            )
        seen.add(ep.name)
        enabled = ep.name not in _state.disabled
        _state.infos[ep.name] = PluginInfo(ep.name, ep.value, dist, version, enabled)
        if not enabled or pm.has_plugin(ep.name):
            continue
        try:
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {ep.name!r} (entry point {ep.value!r}, distribution {dist!r} "
                    f"{version}) failed to import: {type(exc).__name__}: {exc}"
                ) from exc
            try:
                pm.register(plugin, name=ep.name)
                pm.check_pending()
            except pluggy.PluginValidationError as exc:
                if pm.has_plugin(ep.name):
                    pm.unregister(name=ep.name)
                raise PluginError(
                    f"plugin {ep.name!r} (distribution {dist!r}) does not match the hook "
                    f"contract: {exc}"
                ) from exc
        except PluginError as exc:
            if not tolerate_broken:
                raise
            info = _state.infos[ep.name]
            info.enabled = False
            info.error = str(exc)


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object by hand (tests, embedding) and wire it."""
    with _state.lock:
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        if name in _state.disabled:
            return
        try:
            _state.pm.register(plugin, name=name)
            _state.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if _state.pm.is_registered(plugin):
                _state.pm.unregister(plugin)
            raise PluginError(f"plugin {name!r} does not match the hook contract: {exc}") from exc
        _state.infos.setdefault(
            name,
            PluginInfo(name, getattr(plugin, "__name__", repr(plugin)), "(registered)", "", True),
        )
        if _state.loaded:
            wire()


def disable(names: Iterable[str] | str) -> None:
    """Turn plugins off by entry-point name (``plugins.disable`` config)."""
    if isinstance(names, str):
        names = [names]
    with _state.lock:
        changed = False
        for name in names:
            if not isinstance(name, str):
                raise ConfigError(f"plugins.disable: plugin names are strings, got {name!r}")
            _state.disabled.add(name)
            if name in _state.infos:
                _state.infos[name].enabled = False
            plugin = _state.pm.get_plugin(name)
            if plugin is not None:
                _teardown(name, plugin)
                _state.pm.unregister(plugin)
                changed = True
        if changed and _state.loaded:
            wire()


def _teardown(name: str, plugin: Any) -> None:
    from cherrypit._kernel import site

    if name in _state.set_up:
        hook = getattr(plugin, "cherrypit_engine_teardown", None)
        if hook is not None:
            hook(engine=site.engine)
        _state.set_up.discard(name)


class _ClaimingToolbox:
    """What a plugin's ``cherrypit_register_tools`` sees: assignments are claims."""

    def __init__(self, toolbox: Any, owner: str) -> None:
        object.__setattr__(self, "_toolbox", toolbox)
        object.__setattr__(self, "_owner", owner)

    def __setattr__(self, name: str, value: Any) -> None:
        self._toolbox.claim(name, value, self._owner)

    def __getattr__(self, name: str) -> Any:
        return self._toolbox._tools.get(name) or getattr(self._toolbox, name)


def wire() -> None:
    """(Re)build everything plugins contribute: tools, namespaces, bus listeners."""
    from cherrypit._kernel import site

    pm = _state.pm
    toolbox = site.toolbox
    toolbox.forget_plugin_tools()
    for impl in reversed(pm.hook.cherrypit_register_tools.get_hookimpls()):
        impl.function(toolbox=_ClaimingToolbox(toolbox, impl.plugin_name))

    site.reset_plugin_namespaces()
    owners: dict[str, str] = {}
    for impl in reversed(pm.hook.cherrypit_config_namespaces.get_hookimpls()):
        contributed = cast("dict[str, Any]", impl.function() or {})
        for ns, handler in contributed.items():
            if ns in owners or ns in site.KERNEL_NAMESPACES:
                other = owners.get(ns, "the kernel")
                raise PluginError(
                    f"config namespace {ns!r} claimed by both {other!r} and {impl.plugin_name!r}"
                )
            owners[ns] = impl.plugin_name
            site.config.namespaces[ns] = handler
    for impl in reversed(pm.hook.cherrypit_log_settings.get_hookimpls()):
        settings = cast("dict[str, Any]", impl.function() or {})
        site.log_settings.update(settings)
        site.declared_settings["log"].names.update(dict.fromkeys(settings))
    declared_by: dict[str, str] = {}
    for impl in reversed(pm.hook.cherrypit_settings.get_hookimpls()):
        declared = cast("dict[str, Any]", impl.function() or {})
        for prefix, schema in declared.items():
            if prefix in declared_by:
                raise PluginError(
                    f"settings {prefix!r} declared by both {declared_by[prefix]!r} and "
                    f"{impl.plugin_name!r}"
                )
            declared_by[prefix] = impl.plugin_name
            site.declared_settings[prefix] = schema
    for impl in reversed(pm.hook.cherrypit_app_namespaces.get_hookimpls()):
        app_contributed = cast("dict[str, Any]", impl.function() or {})
        for ns, handler in app_contributed.items():
            site.plugin_app_namespaces[ns] = handler

    for impl in reversed(pm.hook.cherrypit_engine_setup.get_hookimpls()):
        if impl.plugin_name not in _state.set_up:
            _state.set_up.add(impl.plugin_name)
            impl.function(engine=site.engine)
    site.config.touch()


def compat_attribute(module: str, name: str) -> Any:
    """Resolve a compat name that a plugin provides, or raise ``AttributeError``."""
    ensure_loaded()
    value = _state.pm.hook.cherrypit_compat_attribute(module=module, name=name)
    if value is None:
        raise AttributeError(
            f"module {module!r} has no attribute {name!r} (no enabled plugin provides it; "
            "see `cherrypit plugins`)"
        )
    return value


def plugin_module(name: str) -> Any:
    """The plugin registered under entry-point ``name`` (loading plugins if needed)."""
    ensure_loaded()
    plugin = _state.pm.get_plugin(name)
    if plugin is None:
        raise AttributeError(f"plugin {name!r} is not installed or is disabled")
    return plugin


def broken_plugins() -> list[PluginInfo]:
    """The plugins left out by a ``tolerate_broken`` load, with their errors."""
    return [info for name, info in sorted(_state.infos.items()) if info.error]


def plugin_infos(tolerate_broken: bool = False) -> list[PluginInfo]:
    """Every known plugin, enabled or not, in load order."""
    ensure_loaded(tolerate_broken)
    return [_state.infos[name] for name in sorted(_state.infos)]


def reset(autoload: bool = True, plugins: Iterable[tuple[str, Any]] = ()) -> None:
    """Forget all plugins; used by tests to build a kernel with stub plugins only."""
    from cherrypit._kernel import site

    with _state.lock:
        for name, plugin in list(_state.pm.list_name_plugin()):
            _teardown(name, plugin)
        _state.pm = make_plugin_manager()
        _state.loaded = _state.ready = False
        _state.autoload = autoload
        _state.disabled = set()
        _state.infos = {}
        _state.set_up = set()
        site.toolbox.forget_plugin_tools()
        site.reset_plugin_namespaces()
        for name, plugin in plugins:
            _state.pm.register(plugin, name=name)
            _state.infos[name] = PluginInfo(name, repr(plugin), "(stub)", "", True)
