"""The start-up check of every mounted config, through the declared settings.

Run when an application is mounted and when the engine starts, over the site config,
every application's sections and the ``_cp_config`` of every object reachable from
its root.  Two kinds of findings:

* **errors**: a setting that would fail every request it applies to (a value a tool
  cannot use, an argument a function tool does not take, a tool switched on that
  nobody provides).  Refused with one line naming the key.
* **warnings**: a key CherryPy 18 accepts silently (it stores unknown names as
  attributes) but that is probably misspelt.  Logged once, with a did-you-mean;
  ``checker.strict = True`` makes them start-up errors.

What a prefix accepts comes from :class:`~cherrypit._kernel.settings.Settings`
declared by plugins (``cherrypit_settings``); a tool without a declaration is read
from its callable's signature.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cherrypit._kernel.config import REQUEST_BODY_KEYS, REQUEST_NAMESPACES, is_switch, suggest
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.settings import REFUSE, Settings
from cherrypit._kernel.tools import HandlerTool, Tool

__all__ = ["Findings", "check_site", "report"]

_RESPONSE_KEYS = ("stream", "timeout", "headers")
_WALK_DEPTH = 12


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _signature_names(callable_: Any) -> tuple[set[str], bool]:
    """The keyword names ``callable_`` takes, and whether it takes ``**kwargs``."""
    try:
        params = inspect.signature(callable_).parameters.values()
    except (TypeError, ValueError):
        return set(), True
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names, any(p.kind is p.VAR_KEYWORD for p in params)


def tool_settings(name: str, tool: Tool, declared: Mapping[str, Settings]) -> Settings:
    """What ``tools.<name>.*`` accepts: the plugin's declaration over the signature."""
    names, var_kw = _signature_names(getattr(tool, "callable", None))
    names |= {"on", "priority"}
    own = declared.get(f"tools.{name}")
    if own is not None:
        merged: dict[str, Any] = dict.fromkeys(names)
        merged.update(own.names)
        return Settings(merged, unknown=own.unknown, check=own.check, what=own.what)
    # A plain function tool passes its settings as arguments: an unknown one is a
    # TypeError on every request.  Anything else may read its settings any way.
    plain = getattr(type(tool), "hooks_for", None) in _PLAIN_HOOKS_FOR
    plain = plain and getattr(type(tool), "_setup", None) is Tool._setup
    return Settings(names, unknown=REFUSE if plain and not var_kw else "allow")


class _Checker:
    def __init__(self, site: Any) -> None:
        self.site = site
        self.declared: dict[str, Settings] = dict(site.declared_settings)
        self.findings = Findings()
        self._tool_cache: dict[str, Settings | None] = {}

    # -- one key ------------------------------------------------------------------

    def _tool(self, name: str) -> Settings | None:
        if name not in self._tool_cache:
            tool = self.site.toolbox.get(name)
            self._tool_cache[name] = (
                None if tool is None else tool_settings(name, tool, self.declared)
            )
        return self._tool_cache[name]

    def key(self, where: str, key: str, value: Any) -> None:
        ns, dot, rest = key.partition(".")
        if not dot:
            return
        if is_switch(key) and not isinstance(value, int):  # bool is an int too
            self.findings.warnings.append(
                f"{where}{key}: expected a bool, got {value!r}; read as "
                f"{'on' if value else 'off'} (by its truth value, as CherryPy does)"
            )
        if ns == "tools":
            self._tool_key(where, key, rest, value)
        elif ns == "request":
            self._request_key(where, key, rest)
        elif ns == "response":
            if rest.split(".", 1)[0] not in _RESPONSE_KEYS:
                self._warn(where, key, "not a response setting", rest, _RESPONSE_KEYS)
        elif ns not in REQUEST_NAMESPACES:
            if ns in self.declared or self._known_namespace(ns):
                self._declared_key(where, key, value)
            else:
                self._namespace_key(where, key, ns)

    def _known_namespace(self, ns: str) -> bool:
        hook = getattr(self.site.config, "on_unknown_namespace", None)
        return ns in self.site.config.namespaces or (hook is not None and hook(ns))

    def _namespace_key(self, where: str, key: str, ns: str) -> None:
        known = {*self.site.config.namespaces, *REQUEST_NAMESPACES, *self.declared}
        for app in self.site.tree.apps.values():
            known.update(getattr(app, "namespaces", {}))
            known.update(getattr(app, "toolboxes", {}))
        if ns not in known and suggest(ns, known):
            self._warn(where, key, f"unknown config namespace {ns!r}", ns, sorted(known))

    def _tool_key(self, where: str, key: str, rest: str, value: Any) -> None:
        tool_name, dot, setting = rest.partition(".")
        if not dot:
            return
        settings = self._tool(tool_name)
        if settings is None:
            known = list(self.site.toolbox)
            if setting == "on" and value:
                self.findings.errors.append(
                    f"{where}{key}: no tool named {tool_name!r}{suggest(tool_name, known)} "
                    "(is the plugin that provides it installed and enabled? see "
                    "`cherrypit plugins`)"
                )
            elif suggest(tool_name, known):
                self._warn(where, key, "no tool of that name", tool_name, known)
            return
        self._setting(where, key, f"tools.{tool_name}", settings, setting, value)

    def _request_key(self, where: str, key: str, rest: str) -> None:
        from cherrypit._kernel.config import request_attribute_names

        attr = rest.split(".", 1)[0]
        if attr == "body":
            sub = rest[5:]
            if sub not in REQUEST_BODY_KEYS:
                self._warn(where, key, "not a request body setting", sub, REQUEST_BODY_KEYS)
            return
        known = request_attribute_names()
        if attr not in known:
            self._warn(where, key, "not a request attribute", attr, known)

    def _declared_key(self, where: str, key: str, value: Any) -> None:
        prefix, _, rest = key.partition(".")
        settings = self.declared.get(prefix)
        if settings is None:
            return
        name = settings.setting_name(rest)
        if "." in name and name.split(".", 1)[0] in settings.names:
            return  # an attribute of a sub-object (engine.autoreload.on)
        self._setting(where, key, prefix, settings, name, value)

    def _setting(
        self, where: str, key: str, prefix: str, settings: Settings, name: str, value: Any
    ) -> None:
        if name in settings.names:
            try:
                settings.check_value(key, name, value)
            except ConfigError as exc:
                self.findings.errors.append(f"{where}{exc}")
            return
        if settings.unknown == "allow":
            return
        what = (
            f"not a setting of {prefix}" if settings.what == "setting" else f"not a {settings.what}"
        )
        if settings.unknown == REFUSE:
            self.findings.errors.append(
                f"{where}{key}: {what}{suggest(name, settings.names)}; every request it "
                "applies to would fail"
            )
        else:
            self._warn(where, key, what, name, settings.names)

    def _warn(self, where: str, key: str, what: str, name: str, known: Any) -> None:
        self.findings.warnings.append(
            f"{where}{key}: {what}{suggest(name, known)}; accepted as CherryPy does, but "
            "it probably has no effect"
        )

    # -- whole configs --------------------------------------------------------------

    def source(self, where: str, conf: Mapping[str, Any], base: Mapping[str, Any]) -> None:
        for key, value in conf.items():
            if isinstance(key, str):
                self.key(where, key, value)
        self._combined_tool_checks(where, conf, base)

    def _combined_tool_checks(
        self, where: str, conf: Mapping[str, Any], base: Mapping[str, Any]
    ) -> None:
        for key, value in conf.items():
            if not (isinstance(key, str) and key.startswith("tools.") and key.endswith(".on")):
                continue
            tool_name = key[6:-3]
            if not value or "." in tool_name:
                continue
            settings = self._tool(tool_name)
            if settings is None:
                continue
            prefix = f"tools.{tool_name}."
            merged = {k[len(prefix) :]: v for k, v in base.items() if k.startswith(prefix)}
            merged.update((k[len(prefix) :], v) for k, v in conf.items() if k.startswith(prefix))
            try:
                self._build_hooks(tool_name, merged)
                if settings.check is not None:
                    checked = {k: v for k, v in merged.items() if k not in ("on", "priority")}
                    for warning in settings.check(checked) or ():
                        self.findings.warnings.append(f"{where}{warning}")
            except ConfigError as exc:
                self.findings.errors.append(f"{where}{exc}")

    def _build_hooks(self, tool_name: str, merged: dict[str, Any]) -> None:
        """Let a tool with its own :meth:`Tool.hooks_for` refuse its settings now.

        The request plan would call it with the same settings when the path is first
        served; calling it here turns its ``ConfigError`` into a start-up error.
        """
        tool = self.site.toolbox.get(tool_name)
        if isinstance(tool, Tool) and type(tool).hooks_for not in _PLAIN_HOOKS_FOR:
            tool._attachments(merged)


_PLAIN_HOOKS_FOR = (Tool.hooks_for, HandlerTool.hooks_for)


def _reachable(root: Any) -> Iterator[tuple[str, Any, Mapping[str, Any]]]:
    """``(path, object, _cp_config)`` for the root and every object below it."""
    seen: set[int] = set()
    todo: list[tuple[str, Any, int]] = [("/", root, 0)]
    while todo:
        path, node, depth = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        conf = _static(node, "_cp_config")
        if isinstance(conf, Mapping) and conf:
            yield path, node, conf
        if depth >= _WALK_DEPTH or (isinstance(node, type) and node.__module__ == "builtins"):
            continue
        for name in _attribute_names(node):
            value = _static(node, name)
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if _is_node(value) or (callable(value) and getattr(value, "exposed", False)):
                child = path.rstrip("/") + "/" + name
                todo.append((child, value, depth + 1))


def _attribute_names(node: Any) -> list[str]:
    try:
        names = dir(node)
    except Exception:
        return []
    return [n for n in names if not n.startswith("_")]


def _static(node: Any, name: str) -> Any:
    try:
        return inspect.getattr_static(node, name)
    except AttributeError:
        return None


def _is_node(value: Any) -> bool:
    # Objects of user classes (application nodes); not functions, classes, modules,
    # descriptors or values of built-in types.
    kind = type(value)
    if kind.__module__ == "builtins" or isinstance(value, (type, property)):
        return False
    return not inspect.isroutine(value) and not inspect.ismodule(value)


def check_site(site: Any, apps: list[Any] | None = None) -> Findings:
    """Every finding in the site config, the mounted applications and their objects.

    :param apps: check only these applications (and not the site config).
    """
    checker = _Checker(site)
    if apps is None:
        defaults = site.config.default_settings()
        site_conf = {k: v for k, v in site.config.items() if k not in defaults}
        checker.source("", site_conf, {})
        apps = list(site.tree.apps.values())
    for app in apps:
        config = getattr(app, "config", None)
        if not isinstance(config, Mapping):
            continue
        root_section = config.get("/", {})
        base = {**site.config, **root_section}
        for section, values in config.items():
            if isinstance(values, Mapping):
                checker.source(f"[{section}] ", values, base if section != "/" else site.config)
        root = getattr(app, "root", None)
        if root is not None:
            for path, node, conf in _reachable(root):
                owner = getattr(node, "__qualname__", type(node).__qualname__)
                checker.source(f"{path} ({owner}._cp_config) ", conf, base)
    return checker.findings


_reported: set[str] = set()


def forget_reported() -> None:
    """Warn again about findings already reported (a fresh site)."""
    _reported.clear()


def report(site: Any, findings: Findings, strict: bool) -> None:
    """Raise for errors (and, when ``strict``, warnings); log new warnings once."""
    errors = list(findings.errors)
    if strict:
        errors += [f"{w} (checker.strict is on)" for w in findings.warnings]
    if errors:
        raise ConfigError("\n".join(dict.fromkeys(errors)))
    for warning in findings.warnings:
        if warning in _reported:
            continue
        _reported.add(warning)
        site.log.error(warning, "CONFIG", logging.WARNING)
        if not site.log.screen:
            # The error log may be a file nobody watches at start-up.
            print(f"cherrypit: config warning: {warning}", file=sys.stderr)
