"""Tools: named, configurable bundles of request hooks (CherryPy's tool API).

A tool is switched on per path (``tools.<name>.on = True`` in config, or the decorator
``@cherrypit.tools.<name>(**kwargs)`` on a handler).  The kernel turns the tools that
are on for a config into hook attachments *once*, when that config is first seen
(:meth:`Tool.hooks_for`, the extension point a tool class overrides); only tools that
override CherryPy's ``_setup`` run code per request.

Hook callbacks receive only their settings (CherryPy's calling convention), so the
few places here that act on "the request" read it through :func:`serving.ambient`.

The toolbox (``cherrypit.tools``) is filled by plugins through the
``cherrypit_register_tools`` hook, lazily: the first attribute access that misses
loads the plugins.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from cherrypit._kernel import serving
from cherrypit._kernel.errors import ConfigError, NotFound

_NO_KWARGS: Mapping[str, Any] = MappingProxyType({})


class Attachment(NamedTuple):
    """One hook a tool attaches where it is on (see :meth:`Tool.hooks_for`)."""

    #: The hook point (``before_handler`` …).
    point: str
    #: Called at that point with :attr:`kwargs` as keyword arguments.
    callback: Callable[..., Any]
    #: Lower runs first among the callbacks of one point.
    priority: int = 50
    #: The keyword arguments, bound once when the plan is built.
    kwargs: Mapping[str, Any] = _NO_KWARGS


def _tool_args(callable_: Callable[..., Any]) -> set[str]:
    try:
        params = inspect.signature(callable_).parameters
    except (TypeError, ValueError):
        return set()
    return {
        name for name, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


class Tool:
    """A callable attached at ``point`` when the tool is on.

    :param point: the hook point (``before_handler`` …).
    :param callable: called with the tool's config (minus ``on``/``priority``).
    :param name: the tool's name in its toolbox; set automatically when assigned
        to a :class:`Toolbox` attribute.
    :param priority: default priority (lower runs first), 50 if not given.
    """

    namespace = "tools"

    def __init__(
        self,
        point: str,
        callable: Callable[..., Any],
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        self._point = point
        self.callable = callable
        self._name = name
        self._priority = priority
        self.__doc__ = getattr(callable, "__doc__", None)
        self._setargs()

    @property
    def on(self) -> bool:
        raise AttributeError(
            "The 'on' attribute of a tool is only meaningful in config (tools.<name>.on)."
        )

    def _setargs(self) -> None:
        """Expose the callable's keyword names as attributes (for introspection)."""
        for name in _tool_args(self.callable):
            if not hasattr(type(self), name):
                try:
                    setattr(self, name, None)
                except AttributeError:
                    pass

    def _merged_args(self, d: dict[str, Any] | None = None) -> dict[str, Any]:
        """``d`` updated with this tool's config for the current request.

        Config wins over ``d`` (CherryPy's order): a path's config overrides the
        arguments a handler tool was built with.
        """
        request = serving.ambient().request
        toolmaps = getattr(request, "toolmaps", {})
        conf = dict(d) if d else {}
        conf.update(toolmaps.get(self.namespace, {}).get(self._name, {}))
        conf.pop("on", None)
        return conf

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        """Decorate a handler so this tool is on for it, with ``kwargs`` as config."""
        if args:
            raise TypeError(
                f"The {self._name!r} tool does not accept positional arguments; "
                f"use keyword arguments, e.g. @tools.{self._name}(key=value)."
            )

        def decorate(f: Any) -> Any:
            conf = f.__dict__.setdefault("_cp_config", {}) if hasattr(f, "__dict__") else {}
            prefix = f"{self.namespace}.{self._name}."
            conf[prefix + "on"] = True
            for key, value in kwargs.items():
                conf[prefix + key] = value
            return f

        return decorate

    # -- attachment ---------------------------------------------------------------

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        """The hooks to attach wherever this tool is on with ``settings``.

        This is the method a tool class overrides.  It is called once per distinct
        config (the request plan keeps the result), never per request, so it is the
        place to check settings and build whatever the callbacks share.

        :param settings: a fresh copy of the tool's config for one path, without
            ``on`` and ``priority``; the method may consume it.
        :param priority: the configured ``priority``, else the callable's
            ``priority`` attribute, else the tool's default.
        :return: the attachments; the default attaches :attr:`callable` at the tool's
            point with ``settings`` as keyword arguments.
        :raises ConfigError: for settings that cannot work.  A ``TypeError`` (say,
            from building a policy object with a keyword it does not take) is
            reported as a config error naming the tool.
        """
        return [Attachment(self._point, self.callable, priority, settings)]

    def _attachments(self, conf: Mapping[str, Any]) -> list[Attachment]:
        """What :meth:`hooks_for` returns for ``conf``, with the preamble done once."""
        settings = {k: v for k, v in conf.items() if k != "on"}
        priority = settings.pop("priority", None)
        if priority is None:
            priority = getattr(self.callable, "priority", self._priority)
        try:
            return [Attachment(*a) for a in self.hooks_for(settings, int(priority))]
        except TypeError as exc:
            raise ConfigError(f"{self.namespace}.{self._name}: {exc}") from exc

    def _setup(self) -> None:
        """Attach this tool to the current request (CherryPy's per-request entry point)."""
        request = serving.ambient().request
        for point, callback, priority, kwargs in self._attachments(self._merged_args()):
            request.hooks.attach(point, callback, priority=priority, **kwargs)


class HandlerTool(Tool):
    """A tool that may answer the request itself instead of the page handler.

    When its callable returns a true value the request's handler is skipped.  It can
    also be mounted as a handler of its own: ``root.static = tools.staticdir.handler(...)``.
    """

    def __init__(
        self,
        callable: Callable[..., Any],
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        super().__init__("before_handler", callable, name, priority)

    def handler(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """A page handler that runs this tool and 404s when it declines."""

        @functools.wraps(self.callable)
        def handle_func(*a: Any, **kw: Any) -> Any:
            handled = self.callable(*args, **self._merged_args(kwargs))
            if not handled:
                raise NotFound()
            return serving.ambient().response.body

        handle_func.exposed = True  # type: ignore[attr-defined]
        return handle_func

    def _wrapper(self, **kwargs: Any) -> None:
        if self.callable(**kwargs):
            serving.ambient().request.handler = None

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        return [Attachment(self._point, self._wrapper, priority, settings)]


class HandlerWrapperTool(Tool):
    """A tool that wraps the page handler: ``newhandler(innerhandler, *args, **kwargs)``."""

    def __init__(
        self,
        newhandler: Callable[..., Any],
        point: str = "before_handler",
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        self.newhandler = newhandler
        self._point = point
        self._name = name
        self._priority = priority

    def callable(self, *args: Any, **kwargs: Any) -> None:
        request = serving.ambient().request
        inner = request.handler

        def wrap(*a: Any, **kw: Any) -> Any:
            return self.newhandler(inner, *a, **kw)

        wrap.__wrapped__ = inner  # type: ignore[attr-defined]  # names it in errors
        request.handler = wrap


class ErrorTool(Tool):
    """A tool that replaces ``request.error_response`` (the unexpected-error answer)."""

    def __init__(
        self,
        callable: Callable[..., Any],
        name: str | None = None,
    ) -> None:
        super().__init__("", callable, name)

    def _wrapper(self) -> None:
        self.callable(**self._merged_args())

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        return []  # it replaces the error answer instead (see _error_response)

    def _error_response(self, conf: dict[str, Any]) -> Callable[[], None]:
        conf = {k: v for k, v in conf.items() if k not in ("on", "priority")}
        return functools.partial(self.callable, **conf)

    def _setup(self) -> None:
        serving.ambient().request.error_response = self._wrapper


#: Tool classes whose set-up is fully described by ``_attachments``; anything else
#: (a user subclass overriding ``_setup``) is run per request.
_PLANNABLE_SETUPS = {Tool._setup}


def setup_is_plannable(tool: Tool) -> bool:
    return type(tool)._setup in _PLANNABLE_SETUPS or isinstance(tool, ErrorTool)


def _is_duck_tool(value: object) -> bool:
    return not isinstance(value, type) and callable(getattr(value, "_setup", None))


class Toolbox:
    """A namespace of tools (``cherrypit.tools``), filled lazily by plugins.

    Assigning a :class:`Tool` to an attribute names it.  Any other object with a
    ``_setup()`` method is a tool too (CherryPy only ever calls ``_setup`` on a tool
    that is on), run per request.  Looking up a missing name
    first loads the plugins (tools are contributed through the
    ``cherrypit_register_tools`` hook); a name that still does not exist is an
    ``AttributeError`` that says which plugin is expected to provide it.
    """

    namespace: str
    # Tool instances and duck-typed tools (objects with ``_setup``).
    _tools: dict[str, Any]
    _owners: dict[str, str]
    _loader: Callable[[], None] | None

    def __init__(self, namespace: str) -> None:
        object.__setattr__(self, "namespace", namespace)
        object.__setattr__(self, "_tools", {})
        object.__setattr__(self, "_owners", {})
        object.__setattr__(self, "_loader", None)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Tool):
            if value._name is None:
                value._name = name
            value.namespace = self.namespace
            self._tools[name] = value
        elif _is_duck_tool(value):
            self._tools[name] = value
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._tools:
            del self._tools[name]
        else:
            object.__delattr__(self, name)

    def __getattr__(self, name: str) -> Tool:
        tools = self.__dict__["_tools"]
        if name in tools:
            return tools[name]  # type: ignore[no-any-return]
        if name.startswith("__"):
            raise AttributeError(name)
        loader = self.__dict__["_loader"]
        if loader is not None:
            loader()
            if name in tools:
                return tools[name]  # type: ignore[no-any-return]
        raise AttributeError(
            f"no tool named {name!r} in {self.namespace!r}; is the plugin that provides "
            "it installed and enabled? (see `cherrypit plugins`)"
        )

    def __contains__(self, name: object) -> bool:
        # Like attribute access: asking about a tool loads the plugins that provide tools.
        if name not in self._tools and self._loader is not None:
            self._loader()
        return name in self._tools

    def __iter__(self) -> Any:
        if self._loader is not None:
            self._loader()
        return iter(sorted(self._tools))

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self._tools and self._loader is not None:
            self._loader()
        return self._tools.get(name, default)

    # -- as a namespace handler of its own (``Request.namespaces[ns] = toolbox``) ------

    def __enter__(self) -> Callable[[str, Any], None]:
        """Start collecting this toolbox's keys of the current request's config."""
        request = serving.ambient().request
        bucket: dict[str, dict[str, Any]] = {}
        # The plan's toolmaps are shared and read-only: give this request its own.
        request.toolmaps = {**request.toolmaps, self.namespace: bucket}

        def populate(key: str, value: Any) -> None:
            tool_name, _, setting = key.partition(".")
            bucket.setdefault(tool_name, {})[setting] = value

        return populate

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Set up, for the current request, every tool the collected keys switch on."""
        if exc_type is not None:
            return
        toolmaps = serving.ambient().request.toolmaps
        for tool_name, settings in toolmaps.get(self.namespace, {}).items():
            if settings.get("on"):
                getattr(self, tool_name)._setup()

    def register(
        self, point: str, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: make a function a tool of this box, named after the function."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            attr_name = kwargs.get("name", func.__name__)
            setattr(self, attr_name, Tool(point, func, **kwargs))
            return func

        return decorator

    def claim(self, name: str, tool: Tool, owner: str) -> None:
        """Register ``tool`` as ``name`` on behalf of plugin ``owner`` (conflicts fail)."""
        previous = self._owners.get(name)
        if previous is not None and previous != owner:
            raise ConfigError(
                f"tool name {name!r} claimed by both plugin {previous!r} and plugin {owner!r}"
            )
        self._owners[name] = owner
        setattr(self, name, tool)

    def forget_plugin_tools(self) -> None:
        """Drop every tool a plugin registered (user-assigned tools stay)."""
        for name in list(self._owners):
            self._tools.pop(name, None)
        self._owners.clear()

    def set_loader(self, loader: Callable[[], None] | None) -> None:
        """Call ``loader`` (the site's plugin loading) before a name is looked up."""
        object.__setattr__(self, "_loader", loader)

    def clear(self) -> None:
        """Forget every tool, the plugins' and those assigned by hand."""
        self._tools.clear()
        self._owners.clear()
