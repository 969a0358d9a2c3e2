"""The whole plugin contract of cherrypit.

Every hook a plugin may implement is declared here, with its arguments and when it
is called.  Plugins are found through the ``cherrypit.plugins`` entry-point group
(first-party plugins included) and wired once, at start-up: none of these hooks is
called on the per-request hot path.

A plugin is any module or object carrying functions decorated with
:data:`cherrypit.plugin.hookimpl` whose names match the specs below.  Implement only
the hooks you need; the argument names must match the spec (pluggy checks them), but
you may accept a subset of them.  Every hook is called through pluggy, so
``@hookimpl(wrapper=True)``, ``tryfirst``/``trylast`` and ``specname=`` work as pluggy
documents them, and pluggy's tracing and call monitoring see each call.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from cherrypit._kernel.engine import Engine
    from cherrypit._kernel.request import Request
    from cherrypit._kernel.settings import Settings
    from cherrypit._kernel.tools import Toolbox
    from cherrypit._kernel.tree import Application
    from cherrypit._kernel.warmup import WarmupProbe

PROJECT = "cherrypit"

#: Marks the functions of this module as the plugin contract (cherrypit's own use).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Marks a plugin's function as the implementation of the hook of the same name:
#: ``@hookimpl`` above ``def cherrypit_register_tools(toolbox): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: A config namespace handler: called with ``(key_without_namespace, value)`` for each
#: key of the namespace that is set.  Raise :class:`cherrypit.ConfigError` (or
#: ``KeyError``/``TypeError``/``ValueError``) to reject a key; the error is reported
#: at start-up together with the full key.
NamespaceHandler = Callable[[str, Any], None]


@hookspec
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add request tools to ``toolbox`` (``toolbox.gzip = Tool(...)``).

    :param toolbox: where the tools go; assigning an attribute claims that tool name
        for this plugin.  Reading an attribute gives a tool already registered.

    Called once, when plugins are loaded, and again whenever the toolbox is rebuilt
    (for instance after ``plugins.disable`` changed).  The tool names become the
    config keys ``tools.<name>.*`` and the decorators ``cherrypit.tools.<name>()``.
    Two plugins that claim the same tool name are a start-up error naming both.
    """


@hookspec
def cherrypit_config_namespaces() -> Mapping[str, NamespaceHandler]:  # type: ignore[empty-body]
    """Return global config namespaces this plugin owns, e.g. ``{"server": handler}``.

    :return: namespace → :data:`NamespaceHandler`.  The mappings of all plugins are
        collected; a namespace returned twice (or one of the kernel's) is a start-up
        error naming both owners.

    ``cherrypit.config.update({"server.socket_port": 8080})`` then calls
    ``handler("socket_port", 8080)``.  A key whose namespace nobody owns is stored
    in the config dict (CherryPy's behaviour for application settings) unless its
    namespace looks like a misspelling of a known one, which is an error.
    """


@hookspec
def cherrypit_app_namespaces() -> Mapping[str, NamespaceHandler]:  # type: ignore[empty-body]
    """Return application config namespaces (applied from an app's ``[/]`` section).

    :return: namespace → :data:`NamespaceHandler`.

    Each handler is called with ``(key, value)`` for the keys of its namespace found in
    the ``[/]`` section of every application that is mounted or merged.  The handler is
    not told which application it serves; keep per-application state keyed by what the
    values themselves carry, or use :func:`cherrypit_engine_setup` and
    ``cherrypit.tree.apps`` when the application matters.
    """


@hookspec
def cherrypit_log_settings() -> Mapping[str, Callable[[Any, Any], None]]:  # type: ignore[empty-body]
    """Return extra ``log.<key>`` settings: key → ``setter(log_manager, value)``.

    :return: key → setter; the setter receives the log manager being configured and
        the value.

    The setter is called for the site log (``cherrypit.config.update``) and for an
    application's log (its ``[/]`` section) alike, e.g. ``log.format = "json"``.
    """


@hookspec
def cherrypit_settings() -> Mapping[str, Settings]:  # type: ignore[empty-body]
    """Declare the settings this plugin owns, by key prefix.

    :return: key prefix → :class:`cherrypit.plugin.Settings`; a prefix declared by two
        plugins is a start-up error naming both.

    Return e.g. ``{"server": Settings([...]), "tools.sessions": Settings({...})}``
    (:class:`cherrypit.plugin.Settings`).  Every mounted config is checked against
    these declarations when an application is mounted and when the engine starts: a
    value its check refuses, or an unknown name declared :data:`~cherrypit.plugin.REFUSE`,
    stops start-up with one line naming the key; an unknown name declared
    :data:`~cherrypit.plugin.WARN` (the default: CherryPy stores such names as
    attributes) is a warning with a did-you-mean, an error under ``checker.strict``.
    A tool without a declaration is checked against its callable's keyword arguments.
    """


@hookspec(historic=True)
def cherrypit_engine_setup(engine: Engine) -> None:
    """Attach this plugin's listeners to the engine bus.

    :param engine: the site's bus (``cherrypit.engine``).

    Called once per plugin, when plugins are loaded and before the engine starts.  The
    hook is historic: a plugin registered after that is set up as it registers (and
    so it cannot be a wrapper).
    Typical uses: subscribe a server adapter to ``start``/``stop``, start a cleanup
    :class:`~cherrypit.process.plugins.Monitor`, reopen log files on ``graceful``.
    """


@hookspec
def cherrypit_engine_teardown(engine: Engine) -> None:
    """Undo :func:`cherrypit_engine_setup` (unsubscribe listeners).

    :param engine: the site's bus.

    Called when a plugin is disabled after it was loaded, and by test helpers that
    reset the global engine.
    """


@hookspec
def cherrypit_add_cli_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add sub-commands to the ``cherrypit`` command line.

    :param subparsers: the command line's sub-command parsers (``add_parser``).

    Each added parser must set ``func`` with ``parser.set_defaults(func=callable)``;
    the callable receives the parsed :class:`argparse.Namespace` and returns an exit
    status.
    """


@hookspec(firstresult=True)
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Resolve a CherryPy compatibility name that a plugin owns.

    :param module: the dotted compat module asked.
    :param name: the attribute asked for.
    :return: the object, or ``None`` to let another plugin answer (the first answer
        wins).

    ``module`` is the dotted compat module (``"cherrypit"``, ``"cherrypit.lib.static"``,
    ``"cherrypit._cpserver"``, ...) and ``name`` the attribute asked for.  Return the
    object, or ``None`` when this plugin does not provide it.  Lets
    ``cherrypit.server``, ``cherrypit.lib.static.serve_file`` and the like be backed
    by plugins without the kernel importing them.
    """


@hookspec
def cherrypit_section_markers() -> Mapping[str, str]:  # type: ignore[empty-body]
    """Config keys whose section a plugin needs to know: marker key → section key.

    :return: e.g. ``{"tools.staticdir.dir": "tools.staticdir.section"}``: when a
        request's config has the marker key, the path of the config section it was
        found in (``"/static"``; ``"global"`` for the site config) is put in the
        request's config under the section key.  Lets a tool resolve paths relative
        to where it was configured, as ``tools.staticdir`` does.
    """


@hookspec
def cherrypit_pre_dispatch(
    app: Application, settings: Mapping[str, Any]
) -> Callable[[Request], None] | None:
    """Return a step to run on every request of ``app`` before dispatch, or ``None``.

    :param app: the mounted application.
    :param settings: the site config merged with the application's ``[/]`` section
        (what applies to the whole application).
    :return: a callable taking the request, run after its headers were read and
        before the dispatcher looks at the path (``tools.proxy`` uses it so that
        dispatch and virtual hosts see the public host and scheme); ``None`` when
        this plugin has nothing to do for this application.

    Called when the application serves its first request and again after a config
    change, never once per request: a plugin that returns ``None`` costs nothing.
    """


@hookspec
def cherrypit_config_defaults() -> Mapping[str, Any]:  # type: ignore[empty-body]
    """Site-config keys this plugin sets before any config is read.

    :return: key → value, e.g. ``{"tools.encode.on": True}`` (the toolbox switches on
        CherryPy's four default tools this way).  A key set by config keeps the
        config's value; a key still at its default goes away with the plugin when
        the plugin is disabled.  Two plugins returning one key is a start-up error
        naming both.
    """


@hookspec
def cherrypit_warmup_probes() -> Mapping[str, WarmupProbe]:  # type: ignore[empty-body]
    """Requests for the start-up warm-up, so this plugin's per-request code is warm.

    :return: one-segment section path (``"/echo"``) → :class:`~cherrypit.plugin.WarmupProbe`:
        the config of that section of the kernel's private probe application (this
        plugin's tools switched on) and the request sent there, ten times, at every
        engine start.  Nothing of the user's application runs for it, and the probe's
        log lines go nowhere; use storages of your own for what the tools keep (the
        sessions plugin gives the probe a RAM storage that stores nothing).  Two
        plugins returning one path is a start-up error naming both.
    """
