"""Configuration: the global config, namespaces, environments and key validation.

Config keys are dotted; the part before the first dot is the *namespace*.  Global
namespaces (``server``, ``engine``, ``log``, ``checker``, ``tree``, ``plugins`` and
whatever plugins add) are applied when the config is updated.  Per-request namespaces
(``request``, ``response``, ``tools``, ``hooks``, ``error_page``, ``wsgi``) are kept in
the config dict and turned into a request plan when a path is first served.

Keys are checked when they are set (start-up for config files and mounts): a value of
the wrong type for a kernel key, a tool switched on that nobody provides or a namespace
that looks like a misspelling of a known one raises :class:`ConfigError` naming the
key.  Names CherryPy accepts silently (it stores them as attributes) are accepted too;
the start-up check (:mod:`cherrypit._kernel.configcheck`) warns about the misspelt
ones.  Namespaces nobody owns are application settings, as in CherryPy
(``cherrypit.request.config.get("myapp.db_url")``).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.errors import ConfigError

NamespaceHandler = Callable[[str, Any], None]

#: Namespaces whose keys are stored and applied per request (never at update time).
REQUEST_NAMESPACES = frozenset({"request", "response", "tools", "hooks", "error_page", "wsgi"})

environments: dict[str, dict[str, Any]] = {
    "development": {
        "request.show_tracebacks": True,
        "request.show_mismatched_params": True,
    },
    "staging": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
    },
    "production": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
    },
    "embedded": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
        "engine.SIGHUP": None,
        "engine.SIGTERM": None,
    },
    "test_suite": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": True,
        "request.show_mismatched_params": True,
        "log.screen": False,
    },
}

# Expected types of kernel-owned keys; anything not listed is free-form.
_BOOL = (bool,)
_INT_OR_NONE = (int, type(None))
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "request.show_tracebacks": _BOOL,
    "request.show_mismatched_params": _BOOL,
    "request.negotiate_errors": _BOOL,
    "request.process_request_body": _BOOL,
    "request.throw_errors": _BOOL,
    "request.methods_with_bodies": (tuple, list, set, frozenset),
    "request.body.maxbytes": _INT_OR_NONE,
    "request.body.max_parts": _INT_OR_NONE,
    "request.body.max_fields": _INT_OR_NONE,
    "request.body.max_part_header_size": _INT_OR_NONE,
    "request.uri_encoding": (str,),
    "request.max_path_segments": (int,),
    "request.trusted_proxies": (tuple, list, set, frozenset),
    "response.stream": _BOOL,
    "response.timeout": (int, float),
    "checker.on": _BOOL,
    "checker.strict": _BOOL,
    "log.screen": _BOOL,
    "log.error_file": (str, type(None)),
    "log.access_file": (str, type(None)),
    "log.wsgi": _BOOL,
    "log.fallback": _BOOL,
    "engine.autoreload.on": _BOOL,
    "engine.autoreload.frequency": (int, float),
}

REQUEST_BODY_KEYS = frozenset(
    {
        "maxbytes",
        "max_parts",
        "max_fields",
        "max_part_header_size",
        "processors",
        "attempt_charsets",
        "default_content_type",
        "part_class",
        "bufsize",
    }
)


def _expected_types(key: str) -> tuple[type, ...] | None:
    expected = _KEY_TYPES.get(key)
    if expected is None and key.startswith("tools.") and key.endswith(".on"):
        expected = _BOOL
    return expected


def is_switch(key: str) -> bool:
    """Whether ``key`` is an on/off setting (``tools.*.on``, ``log.screen`` ...)."""
    return _expected_types(key) is _BOOL


def check_type(key: str, value: Any) -> None:
    """Raise :class:`ConfigError` when ``value`` has the wrong type for ``key``.

    Switches are not refused: CherryPy reads them by truth value, so ``1`` and even
    ``"no"`` (which is on) work there; the start-up check warns about non-bools.
    """
    expected = _expected_types(key)
    if expected is not None and expected is not _BOOL and not isinstance(value, expected):
        names = " or ".join(t.__name__ for t in expected)
        raise ConfigError(f"{key}: expected {names}, got {value!r}")


def suggest(name: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for an error message, or ``""`` if nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


class NamespaceSet(dict[str, NamespaceHandler]):
    """Config namespace name → handler called with ``(key, value)``."""

    def __call__(self, config: Mapping[str, Any]) -> None:
        for key, value in config.items():
            if "." not in key:
                continue
            ns, _, name = key.partition(".")
            handler = self.get(ns)
            if handler is None:
                continue
            try:
                handler(name, value)
            except ConfigError:
                raise
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{key}: {exc}") from exc


def request_attribute_names() -> frozenset[str]:
    from cherrypit._kernel.request import Request

    return frozenset(n for n in dir(Request) if not n.startswith("_"))


def check_request_key(key: str, value: Any, tool_exists: Callable[[str], bool]) -> None:
    """Validate a key of a per-request namespace (``request.*``, ``tools.*``, …).

    Only what cannot work is refused here: a wrong type for a kernel key, a tool
    switched on that nobody provides, a malformed key.  Names CherryPy accepts as
    attributes (``request.<anything>``) are left to the start-up check, which warns.
    """
    ns, _, name = key.partition(".")
    check_type(key, value)
    if ns == "tools":
        tool, dot, setting = name.partition(".")
        if not dot:
            raise ConfigError(f"{key}: tool settings look like tools.<name>.<setting>")
        # CherryPy looks a tool up only when it is on.
        if setting == "on" and value and not tool_exists(tool):
            raise ConfigError(
                f"{key}: no tool named {tool!r} (is the plugin that provides it "
                "installed and enabled? see `cherrypit plugins`)"
            )
    elif ns == "hooks":
        from cherrypit._kernel.hooks import POINTS

        point = name.split(".", 1)[0]
        if point not in POINTS:
            raise ConfigError(f"{key}: unknown hook point{suggest(point, POINTS)}")
    elif ns == "error_page":
        if name != "default" and not name.isdigit():
            raise ConfigError(f"{key}: error_page keys are a status code or 'default'")


class Config(dict[str, Any]):
    """The global (site-wide) config: ``cherrypit.config``.

    ``update()`` takes a dict, a filename or an open file.  ``environment`` expands to
    its preset keys (explicit keys win).  Keys of owned namespaces are applied
    through their handlers, then everything is stored.
    """

    #: Keys every config starts with (CherryPy's place for them; applied over the
    #: plugins' ``cherrypit_config_defaults``, so an edit here wins).
    defaults: dict[str, Any] = {}
    environments = environments
    #: Class-level default (CherryPy keeps one on the class); each config has its own.
    namespaces: NamespaceSet = NamespaceSet()

    def __init__(self, file: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.namespaces = NamespaceSet()
        #: Called with a namespace name nobody owns yet; may load plugins and return
        #: True if the namespace now exists.
        self.on_unknown_namespace: Callable[[str], bool] | None = None
        #: Tells whether a tool name exists (set by the kernel; loads plugins lazily).
        self.tool_exists: Callable[[str], bool] = lambda name: True
        #: Marker key → section key (plugins' ``cherrypit_section_markers``, shared
        #: with the site); ``load_plugins`` fills it when a tool key is first set.
        self.section_markers: dict[str, str] = {}
        self.load_plugins: Callable[[], None] | None = None
        #: Bumped on every change; request plans cached under an older version are stale.
        self.version = 0
        #: Files read by update(), for the autoreloader to watch.
        self.files: list[str] = []
        #: The keys plugins set by default (see :meth:`set_plugin_defaults`).
        self.plugin_defaults: dict[str, Any] = {}
        self.reset()
        if file is not None:
            self.update(file)
        if kwargs:
            self.update(kwargs)

    def reset(self) -> None:
        """Return to the default settings (plugin namespaces stay registered)."""
        dict.clear(self)
        dict.update(self, self.default_settings())
        self.version += 1

    def default_settings(self) -> dict[str, Any]:
        """The keys a reset config holds: the plugins' defaults, then :attr:`defaults`."""
        return {**self.plugin_defaults, **self.defaults}

    def set_plugin_defaults(self, defaults: Mapping[str, Any]) -> None:
        """Replace the keys plugins set by default (``cherrypit_config_defaults``).

        A key still holding the previous default follows the change (it is removed
        when no plugin sets it any more); a key that config set keeps its value.
        """
        old = self.plugin_defaults
        for key, value in old.items():
            if key not in defaults and key not in self.defaults and self._holds(key, value):
                dict.__delitem__(self, key)
        for key, value in defaults.items():
            if key in self.defaults:
                continue
            if key not in self or (key in old and self._holds(key, old[key])):
                dict.__setitem__(self, key, value)
        self.plugin_defaults = dict(defaults)
        self.version += 1

    def _holds(self, key: str, value: Any) -> bool:
        return key in self and bool(dict.__getitem__(self, key) == value)

    # Every way of changing the dict bumps ``version`` (request plans see the change);
    # setting a key applies it like ``update`` does (CherryPy: ``config[k] = v``).
    def __setitem__(self, key: str, value: Any) -> None:
        self._apply({key: value})

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self.version += 1

    def pop(self, key: str, *default: Any) -> Any:
        value = dict.pop(self, key, *default)
        self.version += 1
        return value

    def popitem(self) -> tuple[str, Any]:
        item = dict.popitem(self)
        self.version += 1
        return item

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def clear(self) -> None:
        dict.clear(self)
        self.version += 1

    def __ior__(self, other: Any) -> Config:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __call__(self, **kwargs: Any) -> Callable[[Any], Any]:
        """Decorator: ``@cherrypit.config(**{'tools.gzip.on': True})`` sets ``_cp_config``."""

        def decorate(f: Any) -> Any:
            if not hasattr(f, "_cp_config") or "_cp_config" not in vars(f):
                f._cp_config = {}
            f._cp_config.update(kwargs)
            return f

        return decorate

    def update(  # type: ignore[override]
        self, config: Mapping[str, Any] | str | os.PathLike[str] | IO[str] | None = None, **kw: Any
    ) -> None:
        """Update from a dict, a config filename or an open config file."""
        if isinstance(config, (str, os.PathLike)):
            self.files.append(os.fspath(config))
        if config is None:
            data: dict[str, Any] = {}
        elif isinstance(config, Mapping):
            data = dict(config)
        else:
            data = dict(as_dict(config))
        data.update(kw)
        section = data.get("global")
        if isinstance(section, dict):
            data = dict(section)
        else:
            # Path sections belong to an application (tree.mount), not to the site.
            data = {k: v for k, v in data.items() if not k.startswith("/")}
        if self.load_plugins is not None and any(k.startswith("tools.") for k in data):
            self.load_plugins()
        for marker, section_key in self.section_markers.items():
            if marker in data:
                data[section_key] = "global"
        self._apply(data)

    def _apply(self, data: dict[str, Any]) -> None:
        env = data.get("environment")
        if env:
            if env not in self.environments:
                raise ConfigError(
                    f"environment: unknown environment {env!r}{suggest(env, self.environments)}"
                )
            preset = {k: v for k, v in self.environments[env].items() if k not in data}
            data.update(preset)
        else:
            preset = {}
        # plugins.* first: it decides which plugins (and so namespaces) exist.
        ordered = sorted(data.items(), key=lambda kv: not kv[0].startswith("plugins."))
        for key, value in ordered:
            if key not in preset:
                # Presets name tools that may be disabled; only user keys are checked.
                self.check_key(key, value)
        dict.update(self, data)
        self.version += 1
        for key, value in ordered:
            ns, dot, name = key.partition(".")
            if not dot or ns in REQUEST_NAMESPACES:
                continue
            handler = self.namespaces.get(ns)
            if handler is None:
                continue
            try:
                handler(name, value)
            except ConfigError:
                raise
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{key}: {exc}") from exc

    def check_key(self, key: str, value: Any) -> None:
        """Validate one key (raises :class:`ConfigError` naming it)."""
        ns, dot, _ = key.partition(".")
        if not dot:
            return
        check_type(key, value)
        if ns in REQUEST_NAMESPACES:
            check_request_key(key, value, self.tool_exists)
            return
        if ns not in self.namespaces and self.on_unknown_namespace is not None:
            # Loads the plugins, whose namespaces (server.*, ...) may own the key.
            self.on_unknown_namespace(ns)
        # A namespace nobody owns is an application setting, as in CherryPy, even when
        # it looks like a misspelling of a known one (``tool.gzip.on`` runs under
        # CherryPy 18, doing nothing): the start-up check warns about those.

    def touch(self) -> None:
        """Mark the config changed (invalidates cached request plans)."""
        self.version += 1
