"""The site: the objects CherryPy exposes as module globals, built in one place.

A :class:`Site` owns ``config``, ``tree``, ``engine``, ``tools`` (the toolbox), ``log``,
``checker`` and its plugins, together with the kernel's own config namespaces.  The
module-level names are the parts of the process's :data:`default` site.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cherrypit._kernel import configcheck, pluginmanager, serving
from cherrypit._kernel.config import Config, NamespaceHandler, suggest
from cherrypit._kernel.engine import AutoreloadSettings, Engine
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.logmanager import LogManager
from cherrypit._kernel.settings import Settings
from cherrypit._kernel.tools import Toolbox
from cherrypit._kernel.tree import Application as _Application
from cherrypit._kernel.tree import Tree

if TYPE_CHECKING:
    from cherrypit._kernel.tree import Application


class GlobalLogManager(LogManager):
    """``cherrypit.log``: writes to the current application's log inside a request."""

    def __call__(
        self,
        msg: str = "",
        context: str = "",
        severity: int = logging.INFO,
        traceback: bool = False,
    ) -> None:
        app = serving.ambient().request.app
        target = app.log if app is not None else self
        target.error(msg, context, severity, traceback)

    def access(self, request: Any = None, response: Any = None) -> None:
        slot = serving.ambient()
        app = slot.request.app
        target = app.log if app is not None else self
        LogManager.access(target, request or slot.request, response or slot.response)


def _current_pair() -> tuple[Any, Any]:
    slot = serving.ambient()
    return slot.request, slot.response


class Checker:
    """Start-up sanity checks of the config (``checker.on``, on by default).

    Warnings, not errors.  Calling the checker runs every ``check_*`` method; as in
    CherryPy, one check is turned off by setting its name to ``None``
    (``cherrypit.checker.check_static_paths = None``, or ``checker.check_static_paths``
    in config).
    """

    on = True
    #: Make the config warnings (keys CherryPy accepts but that are probably
    #: misspelt) start-up errors: ``checker.strict = True``.
    strict = False
    #: Namespaces of the application's own (``myapp.key = value``): never refused as a
    #: misspelling of a known one.  Extend it before the config is read.
    extra_config_namespaces: list[str] = []
    #: Keys of old CherryPy releases that no longer do anything → the key that does
    #: (``None``: nothing replaces it).
    obsolete: dict[str, str | None] = {
        "server.default_content_type": "tools.response_headers.headers",
        "log_access_file": "log.access_file",
        "log_config_options": None,
        "log_file": "log.error_file",
        "log_file_not_found": None,
        "log_request_headers": "tools.log_headers.on",
        "log_to_screen": "log.screen",
        "show_tracebacks": "request.show_tracebacks",
        "throw_errors": "request.throw_errors",
    }
    #: Keys that still work but are going away → their replacement.
    deprecated: dict[str, str] = {}
    _SITE_ONLY = ("engine", "server", "tree", "checker", "plugins")

    def __call__(self) -> None:
        if not self.on:
            return
        for name in sorted(dir(self)):
            if name.startswith("check_"):
                check = getattr(self, name)
                if callable(check):
                    check()

    @staticmethod
    def _path_sections() -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(script_name, section, values)`` for each path section of each application."""
        for script_name, app in tree.apps.items():
            cfg = getattr(app, "config", None)
            if not isinstance(cfg, dict):
                continue
            for section, values in cfg.items():
                if section.startswith("/") and isinstance(values, dict):
                    yield script_name, section, values

    def check_site_config_entries_in_app_config(self) -> None:
        """Warn about site-wide keys in an application's path sections (no effect there)."""
        for script_name, section, values in self._path_sections():
            site_keys = [k for k in values if k.split(".", 1)[0] in self._SITE_ONLY]
            if site_keys:
                self._warn(
                    f"The application mounted at {script_name!r} has site-wide settings "
                    f"in its [{section}] section, where they have no effect: "
                    f"{', '.join(sorted(site_keys))}. Use cherrypit.config.update()."
                )

    def check_app_config_entries_dont_start_with_script_name(self) -> None:
        """Warn about sections that repeat the mount point (sections are relative to it)."""
        for script_name, section, _values in self._path_sections():
            if script_name and section.startswith(script_name + "/"):
                self._warn(
                    f"The application mounted at {script_name!r} has a section "
                    f"[{section}] that starts with its own mount point; sections are "
                    "relative to the mount point."
                )

    def check_compatibility(self) -> None:
        """Warn about :attr:`obsolete` and :attr:`deprecated` keys, site-wide and per path."""
        sections: list[tuple[str, Any]] = [("global", config)]
        sections += [(section, values) for _, section, values in self._path_sections()]
        for section, values in sections:
            for key in values:
                if key in self.obsolete:
                    replacement = self.obsolete[key]
                    hint = f"; use {replacement!r} instead" if replacement else ""
                    self._warn(f"[{section}] {key!r} is obsolete and has no effect{hint}.")
                elif key in self.deprecated:
                    self._warn(f"[{section}] {key!r} is deprecated; use {self.deprecated[key]!r}.")

    def check_app_config_brackets(self) -> None:
        """Warn about ``"[/path]"`` section names: the brackets belong to config files only."""
        for script_name, app in tree.apps.items():
            cfg = getattr(app, "config", None)
            if not isinstance(cfg, dict):
                continue
            for section in cfg:
                if isinstance(section, str) and section.startswith("[") and section.endswith("]"):
                    self._warn(
                        f"The application mounted at {script_name!r} has the config section "
                        f"{section!r}: in a dict, write the path without brackets "
                        f"({section[1:-1]!r})."
                    )

    def check_localhost(self) -> None:
        """Warn about ``server.socket_host = 'localhost'``: it may mean IPv4 or IPv6."""
        if config.get("server.socket_host") == "localhost":
            self._warn(
                "server.socket_host is 'localhost', which may resolve to an IPv4 or an "
                "IPv6 address depending on the system; use '127.0.0.1' or '::1'."
            )

    def check_static_paths(self) -> None:
        """Warn about a relative ``tools.staticdir.dir`` with no ``tools.staticdir.root``."""
        for _script_name, section, values in self._path_sections():
            static_dir = values.get("tools.staticdir.dir")
            root = values.get("tools.staticdir.root")
            if isinstance(static_dir, str) and not os.path.isabs(static_dir) and not root:
                self._warn(
                    f"[{section}] tools.staticdir.dir {static_dir!r} is relative and no "
                    "tools.staticdir.root is set; it will not be found."
                )

    #: Config key → the type its value must have; a value of another type is warned
    #: about at start-up.  Empty by default: add the keys of your own you want checked.
    known_config_types: dict[str, type] = {}

    def check_config_namespaces(self) -> None:
        """Unknown namespaces are reported (with a did-you-mean) when config is read."""

    def check_config_types(self) -> None:
        """Warn about values whose type differs from :attr:`known_config_types`."""
        if not self.known_config_types:
            return
        sections: list[tuple[str, Any]] = [("global", config)]
        for _script_name, section, values in self._path_sections():
            sections.append((section, values))
        for section, values in sections:
            for key, value in values.items():
                expected = self.known_config_types.get(key)
                if expected is not None and value is not None and not isinstance(value, expected):
                    self._warn(
                        f"[{section}] {key} is a {type(value).__name__}, expected "
                        f"{expected.__name__}."
                    )

    def check_skipped_app_config(self) -> None:
        """Warn about an application mounted with neither a root nor any config."""
        for script_name, app in tree.apps.items():
            if getattr(app, "root", None) is None and not getattr(app, "config", None):
                self._warn(
                    f"The application mounted at {script_name!r} has no root and no "
                    "config: it answers nothing."
                )

    #: Set by CherryPy's checker when the site config held path sections; kept for
    #: code that reads it (cherrypit reports such sections when config is read).
    global_config_contained_paths = False

    def formatwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        line: str | None = None,
    ) -> str:
        """How a checker warning reads when shown through :mod:`warnings`."""
        return f"CherryPy Checker:\n{message}\n\n"

    @staticmethod
    def _warn(message: str) -> None:
        log(message, "CHECKER", logging.WARNING)


_LOG_SETTINGS = ("screen", "error_file", "access_file", "wsgi", "fallback", "access_log_format")


class Site:
    """Everything one site consists of, built in one place.

    ``config``, ``toolbox``, ``tree``, ``engine``, ``log``, ``checker`` and ``plugins``
    (its :class:`~cherrypit._kernel.pluginmanager.PluginHost`).  The process has one
    default site, whose parts are ``cherrypit.config``, ``cherrypit.tree`` and so on.
    Applications hold on to those objects (``from cherrypy import engine``), so a site
    is reset in place (:meth:`reset`) rather than swapped for another.
    """

    def __init__(self, autoload: bool = True) -> None:
        self.config = Config()
        self.toolbox = Toolbox("tools")
        self.tree = Tree()
        self.engine = Engine()
        self.log = GlobalLogManager(source=_current_pair)
        self.checker = Checker()
        #: Application namespaces contributed by plugins (``cherrypit_app_namespaces``).
        self.plugin_app_namespaces: dict[str, NamespaceHandler] = {}
        #: ``log.<key>`` settings added by plugins (``cherrypit_log_settings``).
        self.log_settings: dict[str, Callable[[LogManager, Any], None]] = {}
        #: Declared settings by key prefix (``cherrypit_settings``, plus the kernel's),
        #: read by the start-up check (:mod:`cherrypit._kernel.configcheck`).
        self.declared_settings: dict[str, Settings] = {}
        #: Marker key → section key (``cherrypit_section_markers``).
        self.section_markers: dict[str, str] = {}
        self.config.section_markers = self.section_markers
        self.kernel_namespaces: dict[str, NamespaceHandler] = {
            "engine": self._engine_namespace,
            "log": lambda k, v: self._log_namespace(self.log, k, v),
            "checker": self._checker_namespace,
            "tree": self._tree_namespace,
            "plugins": self._plugins_namespace,
        }
        self.plugins = pluginmanager.PluginHost(self, autoload)
        self.reset_plugin_namespaces()
        self.config.on_unknown_namespace = self._on_unknown_namespace
        self.config.tool_exists = self._tool_exists
        self.config.load_plugins = self.plugins.ensure_loaded
        self.toolbox.set_loader(self.plugins.ensure_loaded)
        self.engine.subscribe("log", self._buslog)
        self.engine.subscribe("graceful", self.log.reopen_files)
        self.engine.before_start.append(self._before_start)
        # CherryPy's default: engine messages and access lines on the console.
        self.log.screen = True
        # Not CherryPy's: with the console off (production, embedded) errors still go
        # to stderr or the foreign server's wsgi.errors rather than nowhere.
        self.log.fallback = True

    # --- resetting (test helpers) ---------------------------------------------------------

    def reset(
        self,
        autoload: bool = True,
        plugins: Iterable[tuple[str, Any]] = (),
        on_fatal_exit: Callable[[int], None] | None = None,
    ) -> None:
        """Return this site to what :class:`Site` builds, with new plugins.

        :param autoload: load entry-point plugins on demand (``False``: only ``plugins``).
        :param plugins: ``(name, plugin)`` pairs registered by hand (stub plugins).
        :param on_fatal_exit: called instead of ending the process when the engine
            gives up (tests turn that into an exception).
        """
        engine = self.engine
        if on_fatal_exit is not None:
            engine.on_fatal_exit = on_fatal_exit
        if engine.state not in (engine.states.STOPPED, engine.states.EXITING):
            engine.stop()
        self.plugins.close()
        self.plugins = pluginmanager.PluginHost(self, autoload)
        if self is default:
            pluginmanager.install(self.plugins)
        self.toolbox.set_loader(self.plugins.ensure_loaded)
        self.config.load_plugins = self.plugins.ensure_loaded
        # Tools assigned by hand (cherrypit.tools.x = Tool(...)) go too.
        self.toolbox.clear()
        self.reset_plugin_namespaces()
        for name, plugin in plugins:
            self.plugins.pm.register(plugin, name=name)
            self.plugins.infos[name] = pluginmanager.PluginInfo(
                name, repr(plugin), "(stub)", "", True
            )
        self.config.reset()
        self.tree.clear()
        # Settings from config (checker.on, checker.check_x = None) are instance attributes.
        vars(self.checker).clear()
        if isinstance(engine.autoreload, AutoreloadSettings):
            # Settings from an earlier test must not leak (the plugin, when enabled,
            # installed its own reloader again when it was wired).
            engine.autoreload = AutoreloadSettings(engine)
        # EXITING (not STOPPED): the engine may start again, and the interpreter's exit
        # hook sees a bus that was shut down properly.
        engine.state = engine.states.EXITING
        self.log.screen = False
        self.log.error_file = ""
        self.log.access_file = ""
        self.log.wsgi = False
        self.log.fallback = True

    def reset_plugin_namespaces(self) -> None:
        """Keep only the kernel's own global namespaces (plugins add theirs on wiring)."""
        self.config.namespaces.clear()
        self.config.namespaces.update(self.kernel_namespaces)
        self.plugin_app_namespaces.clear()
        self.log_settings.clear()
        self.section_markers.clear()
        self.declared_settings.clear()
        self.declared_settings.update(self._kernel_settings())

    # --- the kernel's config namespaces ---------------------------------------------------

    def _engine_namespace(self, key: str, value: Any) -> None:
        engine = self.engine
        if key in ("SIGHUP", "SIGTERM", "SIGUSR1", "SIGINT"):
            if value is None:
                engine.signal_handler.handlers.pop(key, None)
            else:
                engine.signal_handler.handlers[key] = value
            return
        if "." in key:
            plugin_name, attr = key.split(".", 1)
            if plugin_name == "timeout_monitor":
                engine.log(
                    "engine.timeout_monitor was removed from CherryPy 12 and is ignored.",
                    level=30,
                )
                return
            plugin = getattr(engine, plugin_name, None)
            if plugin is None:
                choices = [n for n in vars(engine) if not n.startswith("_")]
                raise ConfigError(
                    f"engine.{key}: the engine has no plugin {plugin_name!r}"
                    f"{suggest(plugin_name, choices)}"
                )
            if attr == "on":
                if isinstance(plugin, AutoreloadSettings) and not value:
                    plugin.on = False
                    return
                switch = getattr(plugin, "subscribe" if value else "unsubscribe", None)
                if callable(switch):
                    switch()
                    return
            setattr(plugin, attr, value)
            return
        # Unknown names are set too (CherryPy does); the start-up check warns about them.
        setattr(engine, key, value)

    def _log_namespace(self, target: LogManager, key: str, value: Any) -> None:
        extra = self.log_settings.get(key)
        if extra is None and key not in _LOG_SETTINGS:
            # A plugin's key (log.format …) may be set before plugins are loaded.
            self.plugins.ensure_loaded()
            extra = self.log_settings.get(key)
        if extra is not None:
            extra(target, value)
            return
        # Unknown names become attributes of the log manager, as in CherryPy (apps read
        # them back); the start-up check warns about them.
        try:
            setattr(target, key, value)
        except OSError as exc:
            raise ConfigError(f"log.{key}: cannot open {value!r}: {exc.strerror or exc}") from exc

    def _checker_namespace(self, key: str, value: Any) -> None:
        setattr(self.checker, key, value)

    def _tree_namespace(self, key: str, value: Any) -> None:
        if isinstance(value, dict):
            for script_name, app in value.items():
                self.tree.graft(app, script_name)
        else:
            self.tree.graft(value, getattr(value, "script_name", key))

    def _plugins_namespace(self, key: str, value: Any) -> None:
        if key != "disable":
            raise ConfigError(f"plugins.{key}: unknown setting (only plugins.disable exists)")
        self.plugins.disable(value)

    def _kernel_settings(self) -> dict[str, Settings]:
        engine_names = [n for n in dir(self.engine) if not n.startswith("_")]
        return {
            "log": Settings(_LOG_SETTINGS, what="known log setting"),
            "engine": Settings(
                [*engine_names, "SIGHUP", "SIGTERM", "SIGUSR1"], what="known engine setting"
            ),
            "checker": Settings(
                [n for n in dir(self.checker) if not n.startswith("_")],
                what="known checker setting",
            ),
        }

    # --- what other kernel parts ask the site ---------------------------------------------

    def check_configs(self, apps: list[Any] | None = None) -> None:
        """Validate mounted configs (all, or only ``apps``'): errors raise, warnings log."""
        findings = configcheck.check_site(self, apps)
        configcheck.report(self, findings, bool(self.checker.strict))

    def app_namespaces(self) -> dict[str, NamespaceHandler]:
        """Namespaces applied from an application's ``[/]`` section (by key, per app)."""
        return dict(self.plugin_app_namespaces)

    def make_app_log(self, app: Application) -> LogManager:
        """The log manager of ``app``, with its ``log`` config namespace."""
        manager = LogManager(id(app), self.log.logger_root, source=_current_pair)

        def log_ns(key: str, value: Any) -> None:
            self._log_namespace(manager, key, value)

        app.namespaces["log"] = log_ns
        return manager

    def _on_unknown_namespace(self, ns: str) -> bool:
        if ns in self.checker.extra_config_namespaces:
            return True
        self.plugins.ensure_loaded()
        return ns in self.config.namespaces

    def _tool_exists(self, name: str) -> bool:
        return self.toolbox.get(name) is not None

    def _buslog(self, msg: str, level: int = logging.INFO, traceback: bool = False) -> None:
        self.log.error(msg, "ENGINE", severity=level, traceback=traceback)

    def _before_start(self) -> None:
        self.plugins.ensure_loaded()
        self.check_configs()
        self.checker()
        from cherrypit._kernel.warmup import warm_up

        try:
            warm_up(self.tree)
        except Exception:
            # Only a cost: the first request does the work instead.
            self.log("Start-up warm-up failed (the first request does its work):",
                     "ENGINE", severity=30, traceback=True)


#: The process's site: ``cherrypit.config``, ``cherrypit.tree``… are its parts.
default = Site()
pluginmanager.install(default.plugins)
_Application.toolboxes["tools"] = default.toolbox

config = default.config
toolbox = default.toolbox
tree = default.tree
engine = default.engine
log = default.log
checker = default.checker
KERNEL_NAMESPACES = default.kernel_namespaces
check_configs = default.check_configs
app_namespaces = default.app_namespaces
make_app_log = default.make_app_log
reset_plugin_namespaces = default.reset_plugin_namespaces

__all__ = [
    "KERNEL_NAMESPACES",
    "Checker",
    "GlobalLogManager",
    "Site",
    "app_namespaces",
    "checker",
    "config",
    "default",
    "engine",
    "log",
    "make_app_log",
    "reset_plugin_namespaces",
    "toolbox",
    "tree",
]
