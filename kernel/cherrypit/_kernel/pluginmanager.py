"""Finding, loading and wiring plugins (pluggy), once, at start-up.

Plugins come from the ``cherrypit.plugins`` entry-point group — first-party and
third-party alike — in a deterministic order (entry-point name, then distribution).
Loading is lazy: the first thing that needs a plugin (a config namespace nobody owns
yet, a missing tool, ``engine.start()``, a compat name) triggers it.

Every hook is called through pluggy (``pm.hook.<name>(...)``), so implementations may
take a subset of the arguments, wrappers wrap, ``specname=`` works and pluggy's
tracing and call monitoring see every call.  What plugins contribute (tools, config
namespaces, settings) is collected from those calls into the site.

Switches: config ``plugins.disable = ["name", ...]`` blocks plugins by entry-point
name (before or after loading); ``CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry
points entirely, leaving only plugins registered by hand (:func:`register`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

from cherrypit._kernel import hookspecs
from cherrypit._kernel.errors import ConfigError

if TYPE_CHECKING:
    from cherrypit._kernel.config import Config
    from cherrypit._kernel.engine import Engine
    from cherrypit._kernel.settings import Settings
    from cherrypit._kernel.tools import Toolbox

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


class WiringTarget(Protocol):
    """The parts of a site that plugin contributions are collected into."""

    config: Config
    toolbox: Toolbox
    engine: Engine
    kernel_namespaces: dict[str, Any]
    log_settings: dict[str, Callable[[Any, Any], None]]
    declared_settings: dict[str, Settings]
    plugin_app_namespaces: dict[str, Any]
    section_markers: dict[str, str]

    def reset_plugin_namespaces(self) -> None: ...


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh pluggy manager that knows cherrypit's hook specifications."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _entry_points() -> list[Any]:
    from importlib_metadata import entry_points

    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    return sorted(eps, key=lambda ep: (ep.name, ep.dist.name if ep.dist else ""))


class _ToolRegistration:
    """The ``toolbox`` argument of ``cherrypit_register_tools``: assignments are claims.

    All implementations run in one pluggy call, so the claiming plugin is found from
    the call stack: the nearest frame running one of the hook's implementations (or a
    helper they called); plugin objects sharing a method are told apart by ``self``.
    Start-up only; never on a request.
    """

    def __init__(self, toolbox: Toolbox, impls: list[Any]) -> None:
        by_code: dict[CodeType, list[tuple[Any, str]]] = {}
        for impl in impls:
            code = getattr(impl.function, "__code__", None)
            if code is not None:
                by_code.setdefault(code, []).append((impl.plugin, impl.plugin_name))
        object.__setattr__(self, "_toolbox", toolbox)
        object.__setattr__(self, "_by_code", by_code)

    def _claimant(self) -> str:
        frame: Any = sys._getframe(2)
        while frame is not None:
            candidates = self._by_code.get(frame.f_code)
            if candidates:
                if len(candidates) == 1:
                    return str(candidates[0][1])
                me = frame.f_locals.get("self")
                for plugin, name in candidates:
                    if plugin is me:
                        return str(name)
            frame = frame.f_back
        return "(unknown plugin)"

    def __setattr__(self, name: str, value: Any) -> None:
        self._toolbox.claim(name, value, self._claimant())

    def __getattr__(self, name: str) -> Any:
        return self._toolbox.get(name) or getattr(self._toolbox, name)


class PluginHost:
    """One site's plugins: the pluggy manager, what is loaded, blocked and set up."""

    def __init__(self, site: WiringTarget, autoload: bool = True) -> None:
        self.site = site
        self.pm = make_plugin_manager()
        self.autoload = autoload
        #: Set when a load starts (so the loading thread's nested calls return at once).
        self.loaded = False
        #: Set when a load has finished: only then may other threads skip the lock.
        self.ready = False
        #: Whether the engine set-up hook has been called (historic: later plugins
        #: are replayed by pluggy when they register).
        self.engine_set_up = False
        self.infos: dict[str, PluginInfo] = {}
        self.lock = threading.RLock()

    # --- loading ----------------------------------------------------------------------

    def ensure_loaded(self, tolerate_broken: bool = False) -> None:
        """Load the entry-point plugins (once) and wire their contributions.

        :param tolerate_broken: a plugin that fails to import or breaks the hook
            contract is left out and recorded (:attr:`PluginInfo.error`) instead of
            failing the load; the command line uses it so that one broken plugin does
            not stop every command.
        """
        if self.ready:
            return
        with self.lock:
            if self.loaded:
                return
            self.loaded = True
            try:
                if self.autoload and not os.environ.get(AUTOLOAD_ENV):
                    self._load_entry_points(tolerate_broken)
                self.pm.check_pending()
                # Inside the try: a wiring conflict must not leave a half-wired site
                # that later calls would take for loaded.
                self.wire()
            except pluggy.PluginValidationError as exc:
                self.loaded = False
                self._forget_contributions()
                name = self.pm.get_name(exc.plugin) or repr(exc.plugin)
                info = self.infos.get(name)
                dist = f" (distribution {info.distribution!r})" if info else ""
                raise PluginError(
                    f"plugin {name!r}{dist} does not match the hook contract: {exc}"
                ) from exc
            except Exception:
                self.loaded = False
                self._forget_contributions()
                raise
            self.ready = True

    def _forget_contributions(self) -> None:
        self.site.toolbox.forget_plugin_tools()
        self.site.reset_plugin_namespaces()

    def _load_entry_points(self, tolerate_broken: bool) -> None:
        pm = self.pm
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
            enabled = not pm.is_blocked(ep.name)
            self.infos[ep.name] = PluginInfo(ep.name, ep.value, dist, version, enabled)
            if not enabled or pm.has_plugin(ep.name):
                continue
            try:
                try:
                    plugin = ep.load()
                except Exception as exc:
                    raise PluginError(
                        f"plugin {ep.name!r} (entry point {ep.value!r}, distribution "
                        f"{dist!r} {version}) failed to import: {type(exc).__name__}: {exc}"
                    ) from exc
                self._register_checked(plugin, ep.name, f" (distribution {dist!r})")
            except PluginError as exc:
                if not tolerate_broken:
                    raise
                info = self.infos[ep.name]
                info.enabled = False
                info.error = str(exc)

    def _register_checked(self, plugin: Any, name: str, where: str = "") -> None:
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            raise PluginError(
                f"plugin {name!r}{where} does not match the hook contract: {exc}"
            ) from exc

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Register a plugin object by hand (tests, embedding) and wire it."""
        with self.lock:
            name = name or getattr(plugin, "__name__", None) or repr(plugin)
            if self.pm.is_blocked(name):
                return
            self._register_checked(plugin, name)
            self.infos.setdefault(
                name,
                PluginInfo(
                    name, getattr(plugin, "__name__", repr(plugin)), "(registered)", "", True
                ),
            )
            if self.loaded:
                self.wire()

    def disable(self, names: Iterable[str] | str) -> None:
        """Turn plugins off by entry-point name (``plugins.disable`` config)."""
        if isinstance(names, str):
            names = [names]
        with self.lock:
            changed = False
            for name in names:
                if not isinstance(name, str):
                    raise ConfigError(
                        f"plugins.disable: plugin names are strings, got {name!r}"
                    )
                if name in self.infos:
                    self.infos[name].enabled = False
                plugin = self.pm.get_plugin(name)
                if plugin is not None:
                    self._teardown([plugin])
                    changed = True
                # Unregisters a loaded plugin and keeps a later load from taking it.
                self.pm.set_blocked(name)
            if changed and self.loaded:
                self.wire()

    def _teardown(self, plugins: list[Any]) -> None:
        """Call ``cherrypit_engine_teardown`` of ``plugins`` only (if they were set up)."""
        if not self.engine_set_up or not plugins:
            return
        keep = set(plugins)
        others = [p for p in self.pm.get_plugins() if p not in keep]
        teardown = self.pm.subset_hook_caller("cherrypit_engine_teardown", remove_plugins=others)
        teardown(engine=self.site.engine)

    def close(self) -> None:
        """Tear every plugin down (a site being replaced)."""
        with self.lock:
            self._teardown(list(self.pm.get_plugins()))
            self.site.config.set_plugin_defaults({})

    # --- wiring -----------------------------------------------------------------------

    def wire(self) -> None:
        """(Re)build everything plugins contribute: tools, namespaces, bus listeners."""
        site = self.site
        hook = self.pm.hook
        site.toolbox.forget_plugin_tools()
        impls = hook.cherrypit_register_tools.get_hookimpls()
        registration = _ToolRegistration(site.toolbox, impls)
        hook.cherrypit_register_tools(toolbox=registration)

        site.reset_plugin_namespaces()
        for ns, handler in self._collect("cherrypit_config_namespaces", "config namespace"):
            if ns in site.kernel_namespaces:
                owner = self._contributors("cherrypit_config_namespaces", ns)
                raise PluginError(
                    f"config namespace {ns!r} claimed by both 'the kernel' and "
                    f"{owner[0] if owner else '(unknown plugin)'!r}"
                )
            site.config.namespaces[ns] = handler
        for key, setter in self._collect("cherrypit_log_settings", "log setting"):
            site.log_settings[key] = setter
            site.declared_settings["log"].names[key] = None
        for prefix, schema in self._collect("cherrypit_settings", "settings"):
            site.declared_settings[prefix] = schema
        for ns, handler in self._collect("cherrypit_app_namespaces", "app namespace"):
            site.plugin_app_namespaces[ns] = handler
        for marker, section_key in self._collect("cherrypit_section_markers", "section marker"):
            site.section_markers[marker] = section_key
        site.config.set_plugin_defaults(
            dict(self._collect("cherrypit_config_defaults", "config default"))
        )

        if not self.engine_set_up:
            self.engine_set_up = True
            # Historic: a plugin registered later is set up as it registers.
            hook.cherrypit_engine_setup.call_historic(kwargs={"engine": site.engine})
        site.config.touch()

    def collect(self, hook_name: str, what: str) -> list[tuple[str, Any]]:
        """The ``(key, value)`` pairs the plugins' mappings for ``hook_name`` return.

        :raises PluginError: when two plugins return one key (``what`` names it).
        """
        self.ensure_loaded()
        return self._collect(hook_name, what)

    def _collect(self, hook_name: str, what: str) -> list[tuple[str, Any]]:
        """The ``(key, value)`` pairs the hook's mappings return; a key twice is an error."""
        results: list[Mapping[str, Any]] = getattr(self.pm.hook, hook_name)()
        pairs: list[tuple[str, Any]] = []
        seen: set[str] = set()
        for mapping in results:
            for key, value in (mapping or {}).items():
                if key in seen:
                    both = self._contributors(hook_name, key)
                    names = " and ".join(repr(n) for n in both) or "two plugins"
                    raise PluginError(f"{what} {key!r} claimed by both {names}")
                seen.add(key)
                pairs.append((key, value))
        return pairs

    def _contributors(self, hook_name: str, key: str) -> list[str]:
        """Which plugins' implementations of ``hook_name`` return ``key`` (errors only)."""
        names: list[str] = []
        plugins = self.pm.get_plugins()
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                continue
            others = [p for p in plugins if p is not impl.plugin]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            if any(key in (mapping or {}) for mapping in caller()):
                if impl.plugin_name not in names:
                    names.append(impl.plugin_name)
        return names

    # --- lookups ----------------------------------------------------------------------

    def compat_attribute(self, module: str, name: str) -> Any:
        """Resolve a compat name that a plugin provides, or raise ``AttributeError``."""
        self.ensure_loaded()
        value = self.pm.hook.cherrypit_compat_attribute(module=module, name=name)
        if value is None:
            raise AttributeError(
                f"module {module!r} has no attribute {name!r} (no enabled plugin provides "
                "it; see `cherrypit plugins`)"
            )
        return value

    def plugin_module(self, name: str) -> Any:
        """The plugin registered under entry-point ``name`` (loading plugins if needed)."""
        self.ensure_loaded()
        plugin = self.pm.get_plugin(name)
        if plugin is None:
            raise AttributeError(f"plugin {name!r} is not installed or is disabled")
        return plugin

    def broken_plugins(self) -> list[PluginInfo]:
        """The plugins left out by a ``tolerate_broken`` load, with their errors."""
        return [info for name, info in sorted(self.infos.items()) if info.error]

    def plugin_infos(self, tolerate_broken: bool = False) -> list[PluginInfo]:
        """Every known plugin, enabled or not, in load order."""
        self.ensure_loaded(tolerate_broken)
        return [self.infos[name] for name in sorted(self.infos)]


# --- the default site's plugins, as module functions ------------------------------------

_host: PluginHost | None = None


def install(host: PluginHost) -> None:
    """Make ``host`` the one the module functions below use (the default site's)."""
    global _host
    _host = host


def host() -> PluginHost:
    """The default site's plugin host."""
    if _host is None:  # pragma: no cover - the site module installs one at import
        raise RuntimeError("no site installed")
    return _host


def plugin_manager() -> pluggy.PluginManager:
    """The default site's pluggy manager (plugins loaded)."""
    h = host()
    h.ensure_loaded()
    return h.pm


def ensure_loaded(tolerate_broken: bool = False) -> None:
    """Load and wire the default site's plugins (see :meth:`PluginHost.ensure_loaded`)."""
    host().ensure_loaded(tolerate_broken)


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object by hand with the default site and wire it."""
    host().register(plugin, name)


def disable(names: Iterable[str] | str) -> None:
    """Turn plugins of the default site off by entry-point name."""
    host().disable(names)


def compat_attribute(module: str, name: str) -> Any:
    """Resolve a plugin-provided compat name, or raise ``AttributeError``."""
    return host().compat_attribute(module, name)


def plugin_module(name: str) -> Any:
    """The default site's plugin registered as ``name``."""
    return host().plugin_module(name)


def broken_plugins() -> list[PluginInfo]:
    """The plugins a ``tolerate_broken`` load left out, with their errors."""
    return host().broken_plugins()


def plugin_infos(tolerate_broken: bool = False) -> list[PluginInfo]:
    """Every known plugin of the default site, enabled or not."""
    return host().plugin_infos(tolerate_broken)
