"""Request plans: what a merged config means for a request, computed once.

A *plan* is everything the request cycle needs from a config: the merged dict itself,
the request/response attributes set through ``request.*``/``response.*`` keys, the
error pages, and the hooks of every tool that is on, already sorted by priority.
Plans are cached per application under the identity of the config sources a dispatch
walked through, so a request resolving to a known config does no merging, sorting or
tool set-up at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.hooks import POINTS, Hook, HookMap
from cherrypit._kernel.tools import ErrorTool, Tool, Toolbox, setup_is_plannable

if TYPE_CHECKING:
    from cherrypit._kernel.request import Request, Response


def resolve_callable(key: str, value: Any) -> Callable[..., Any]:
    """``value`` itself when callable, else the object a ``"module.name"`` string names.

    A value that is neither, or names nothing importable, is a :class:`ConfigError`
    naming ``key`` (the config key the value came from).
    """
    if callable(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and "." in value:
        module, _, name = value.rpartition(".")
        try:
            return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{key}: cannot import {value!r}: {exc}") from exc
    raise ConfigError(f"{key}: expected a callable or 'module.function', got {value!r}")


class Plan:
    """The per-config part of a request's set-up (shared, read-only)."""

    __slots__ = (
        "body_attrs",
        "config",
        "custom_namespaces",
        "error_page",
        "error_response",
        "frozen_toolmaps",
        "hooks",
        "request_attrs",
        "response_attrs",
        "response_headers",
        "runtime_tools",
        "toolmaps",
    )

    def __init__(
        self,
        config: dict[str, Any],
        toolboxes: dict[str, Toolbox],
        site_namespaces: Collection[str] = (),
    ) -> None:
        self.config = config
        self.request_attrs: list[tuple[str, Any]] = []
        self.body_attrs: list[tuple[str, Any]] = []
        self.response_attrs: list[tuple[str, Any]] = []
        self.response_headers: list[tuple[str, Any]] = []
        self.error_page: dict[Any, Any] = {}
        self.error_response: Callable[[], None] | None = None
        self.toolmaps: dict[str, dict[str, dict[str, Any]]] = {}
        self.runtime_tools: list[Tool] = []
        hooks: dict[str, list[Hook]] = {p: [] for p in POINTS}
        # Keys of namespaces the kernel does not know, for handlers registered in
        # ``Request.namespaces`` (looked up per request: they may be added any time).
        custom: dict[str, list[tuple[str, Any]]] = {}

        for key, value in config.items():
            ns, dot, name = key.partition(".")
            if not dot:
                continue
            if ns == "request":
                if name.startswith("body."):
                    self.body_attrs.append((name[5:], value))
                else:
                    self.request_attrs.append((name, value))
            elif ns == "response":
                if name.startswith("headers."):
                    self.response_headers.append((name[8:], value))
                else:
                    self.response_attrs.append((name, value))
            elif ns == "error_page":
                self.error_page[int(name) if name.isdigit() else name] = value
            elif ns == "hooks":
                point = name.split(".", 1)[0]
                if point not in hooks:
                    raise ConfigError(f"{key}: unknown hook point")
                hooks[point].append(Hook(resolve_callable(key, value)))
            elif ns in toolboxes:
                tool_name, _, setting = name.partition(".")
                self.toolmaps.setdefault(ns, {}).setdefault(tool_name, {})[setting] = value
            elif ns not in site_namespaces:
                custom.setdefault(ns, []).append((name, value))
        self.custom_namespaces = tuple((ns, tuple(items)) for ns, items in custom.items())

        for ns, tool_confs in self.toolmaps.items():
            box = toolboxes[ns]
            for tool_name, conf in tool_confs.items():
                if not conf.get("on"):
                    continue
                tool = box.get(tool_name)
                if tool is None:
                    raise ConfigError(
                        f"{ns}.{tool_name}.on: no tool named {tool_name!r} (is the plugin "
                        "that provides it installed and enabled?)"
                    )
                settings = {k: v for k, v in conf.items() if k != "on"}
                if isinstance(tool, ErrorTool):
                    self.error_response = tool._error_response(settings)
                elif setup_is_plannable(tool):
                    for point, callback, priority, kwargs in tool._attachments(settings):
                        hooks[point].append(Hook(callback, None, priority, **kwargs))
                else:
                    self.runtime_tools.append(tool)
        self.frozen_toolmaps: Mapping[str, Mapping[str, Mapping[str, Any]]] = MappingProxyType(
            {
                ns: MappingProxyType({name: MappingProxyType(c) for name, c in confs.items()})
                for ns, confs in self.toolmaps.items()
            }
        )
        self.hooks: dict[str, tuple[Hook, ...]] = {
            p: tuple(sorted(h, key=lambda hook: hook.priority)) for p, h in hooks.items()
        }

    def apply(self, request: Request, response: Response) -> None:
        """Set up ``request``/``response`` for this plan (the per-request part)."""
        request.config = dict(self.config)
        # Shared between requests: read-only, so a request cannot change the next one.
        request.toolmaps = self.frozen_toolmaps
        request.hooks = HookMap(self.hooks)
        for attr, value in self.request_attrs:
            setattr(request, attr, value)
        if self.body_attrs:
            body = request.body
            for attr, value in self.body_attrs:
                setattr(body, attr, value)
        for attr, value in self.response_attrs:
            setattr(response, attr, value)
        if self.response_headers:
            headers = response.headers
            for name, value in self.response_headers:
                headers[name] = value
        # A fresh dict each request (CherryPy's semantics: handlers may edit their own).
        request.error_page = dict(self.error_page)
        if self.error_response is not None:
            request.error_response = self.error_response
        for tool in self.runtime_tools:
            tool._setup()
        if self.custom_namespaces:
            _run_request_namespaces(request.namespaces, self.custom_namespaces)


def _run_request_namespaces(
    handlers: Mapping[str, Any], groups: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
) -> None:
    """Call the ``Request.namespaces`` handler of each group's namespace with its keys.

    A handler that is a context manager is entered before its keys, which go to what
    ``__enter__`` returned (the handler itself if that is None), and exited after
    them, with the exception if one of the calls raised.
    """
    for ns, items in groups:
        handler = handlers.get(ns)
        if handler is None:
            continue
        if hasattr(handler, "__exit__"):
            receive = handler.__enter__()
            if receive is None:
                receive = handler  # a handler that takes its keys itself
            try:
                for name, value in items:
                    receive(name, value)
            except BaseException as exc:
                if not handler.__exit__(type(exc), exc, exc.__traceback__):
                    raise
            else:
                handler.__exit__(None, None, None)
        else:
            for name, value in items:
                handler(name, value)
