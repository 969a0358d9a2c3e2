"""Turning a handler's dict into a page: settings, engine instances, errors.

A :class:`Renderer` holds the ``tools.template.*`` settings of one config.  It resolves
them (engine, directories) on first use, not when the config is read, so a mistake in
them is reported like any other failure of a request: logged, and answered with a 500.
Engine instances are shared between renderers with equal settings, so each template
is compiled once per process, not once per path.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, NoReturn

from cherrypit import ConfigError, HTTPError, log, url
from cherrypit.plugin import current, suggest
from cherrypit_templates import registry
from cherrypit_templates.engine import TemplateEngine, TemplateError, TemplateNotFound

__all__ = ["SETTINGS", "Renderer", "base_context", "engine_for"]

#: Every ``tools.template.<key>`` setting (``on`` and ``priority`` are the kernel's).
SETTINGS = ("name", "engine", "directories", "root", "autoescape", "options", "debug")

_CONTEXT = "TOOLS.TEMPLATE"

_engines_lock = threading.Lock()
#: (engine name, engine class, directories, autoescape, options) → engine instance.
_engines: dict[tuple[Any, ...], TemplateEngine] = {}


def _options_key(options: Mapping[str, Any]) -> tuple[Any, ...]:
    # Options may hold unhashable values (dicts, lists); their repr identifies them
    # well enough within one process.
    return tuple(sorted((str(k), repr(v)) for k, v in options.items()))


def engine_for(
    name: str | None,
    directories: list[str],
    autoescape: bool = True,
    options: Mapping[str, Any] | None = None,
) -> tuple[str, TemplateEngine]:
    """The shared engine instance for these settings (created on first use).

    :param name: the engine's registry name; ``None`` picks the default engine.
    :returns: ``(engine name, engine)``.
    :raises ConfigError: unknown or unusable engine, or options it does not accept.
    """
    name = name or registry.default_engine_name()
    engine_cls = registry.engine_class(name)
    opts = dict(options or {})
    key = (name, engine_cls, tuple(directories), bool(autoescape), _options_key(opts))
    engine = _engines.get(key)
    if engine is not None:
        return name, engine
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            try:
                engine = engine_cls(list(directories), autoescape=bool(autoescape), **opts)
            except TypeError as exc:
                raise ConfigError(
                    f"tools.template.options: engine {name!r} rejected its options: {exc}"
                ) from exc
            _engines[key] = engine
    return name, engine


def forget_engines() -> None:
    """Drop every cached engine instance (their compiled templates go with them)."""
    with _engines_lock:
        _engines.clear()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | os.PathLike):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


def resolve_directories(directories: Any, root: Any) -> list[str]:
    """Absolute template directories: relative ones are joined to ``root``.

    :raises ConfigError: no directories, a relative directory without a root, or a
        relative root.
    """
    dirs = _as_list(directories)
    if not dirs:
        raise ConfigError(
            "tools.template.directories is not set: give the directories that hold "
            "your templates (absolute, or relative to tools.template.root)"
        )
    base = os.fspath(root) if root else None
    if base is not None and not os.path.isabs(base):
        raise ConfigError(f"tools.template.root must be an absolute path, got {base!r}")
    out = []
    for d in dirs:
        if not os.path.isabs(d):
            if base is None:
                raise ConfigError(
                    f"tools.template.directories: {d!r} is relative; set "
                    "tools.template.root or use an absolute path"
                )
            d = os.path.join(base, d)
        out.append(os.path.normpath(d))
    return out


def base_context() -> dict[str, Any]:
    """What every template sees besides the handler's dict."""
    slot = current()
    context: dict[str, Any] = {"request": slot.request, "response": slot.response, "url": url}
    if slot.session is not None:
        context["session"] = slot.session
    return context


class Renderer:
    """Renders handler results with the ``tools.template.*`` settings of one config.

    :param settings: the tool's settings, without ``on`` and ``priority``.
    """

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self._engine: tuple[str, TemplateEngine] | None = None
        self._directories: list[str] = []

    def _resolve(self) -> tuple[str, TemplateEngine]:
        if self._engine is None:
            unknown = [k for k in self.settings if k not in SETTINGS]
            if unknown:
                key = unknown[0]
                raise ConfigError(f"tools.template.{key}: unknown setting{suggest(key, SETTINGS)}")
            options = self.settings.get("options") or {}
            if not isinstance(options, Mapping):
                raise ConfigError(f"tools.template.options must be a dict, got {options!r}")
            autoescape = self.settings.get("autoescape", True)
            directories = resolve_directories(
                self.settings.get("directories"), self.settings.get("root")
            )
            resolved = engine_for(self.settings.get("engine"), directories, autoescape, options)
            self._directories = directories
            self._engine = resolved
        return self._engine

    def template_name(self) -> str:
        """The configured ``tools.template.name``.

        :raises HTTPError: 500 (logged) when it is not set.
        """
        name = self.settings.get("name")
        if not name:
            self._fail(
                "tools.template is on but tools.template.name is not set",
                "No template is configured for this page.",
                traceback=False,
            )
        return str(name)

    def render(self, template_name: str, values: Mapping[str, Any]) -> str:
        """Render ``template_name`` with the handler's ``values`` plus the base context.

        :raises HTTPError: 500 when the settings are wrong, the template is missing or
            it fails; the failure is logged naming the template (and the directories
            searched, or the file and line).  The page shows the details only when
            ``request.show_tracebacks`` is on.
        """
        try:
            engine_name, engine = self._resolve()
        except ConfigError as exc:
            self._fail(str(exc), str(exc), traceback=False)
        context = base_context()
        context.update(values)
        if self.settings.get("debug"):
            log(f"Rendering {template_name!r} with engine {engine_name!r}", _CONTEXT)
        try:
            return engine.render(template_name, context)
        except TemplateNotFound as exc:
            needed_by = f" (needed by {template_name!r})" if exc.name != template_name else ""
            searched = ", ".join(exc.searched or self._directories)
            text = f"template {exc.name!r}{needed_by} not found; searched: {searched}"
            self._fail(text, text, traceback=False)
        except TemplateError as exc:
            text = f"error in {exc.location}: {exc.message}"
            self._fail(text, text, traceback=True)

    @staticmethod
    def _fail(log_text: str, page_text: str, traceback: bool) -> NoReturn:
        """Log ``log_text`` and answer 500; the page says ``page_text`` in development."""
        log(log_text, _CONTEXT, logging.ERROR, traceback=traceback)
        show = current().request.show_tracebacks
        raise HTTPError(500, page_text if show else None)
