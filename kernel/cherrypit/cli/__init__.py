"""The ``cherrypit`` command line: ``run``, ``plugins``, ``routes`` and plugin commands.

``cherrypit run TARGET`` serves an application: a root object with its module's
config, a factory, an :class:`~cherrypit.Application`, a WSGI callable, a module that
mounts its applications itself (see :mod:`~cherrypit.cli.target`) or a ``.py`` script
run as ``__main__`` (``--as-cherrypy`` lets its ``import cherrypy`` load cherrypit).  ``cherrypit
plugins`` lists the installed plugins and ``cherrypit routes TARGET`` prints the URLs
an application exposes.  Plugins add sub-commands through the
``cherrypit_add_cli_commands`` hook.

Errors the user can fix (a bad target, a port in use) are reported as one line on
stderr (followed, for an application that fails to import, by where it failed); exit
status 2 means "bad command line or target", 1 "could not serve".

This package holds the parser and :func:`main`; each built-in command lives in its own
module (:mod:`~cherrypit.cli.run`, :mod:`~cherrypit.cli.routes`,
:mod:`~cherrypit.cli.plugins`).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from cherrypit import daemon
from cherrypit._kernel import pluginmanager
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.errors import ConfigError
from cherrypit.cli._common import PROG as PROG
from cherrypit.cli._common import error
from cherrypit.cli.plugins import cmd_plugins
from cherrypit.cli.routes import Route as Route
from cherrypit.cli.routes import cmd_routes, routes_of
from cherrypit.cli.run import cmd_run
from cherrypit.cli.target import Target as Target
from cherrypit.cli.target import TargetError, load_target
from cherrypit.cli.target import mount_target as mount_target
from cherrypit.cli.target import run_script as run_script

__all__ = ["TargetError", "build_parser", "load_target", "main", "routes_of"]


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="module:attribute, module:factory(), module, path/to/app.py or "
        "path/to/app.py:attribute",
    )
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="config file: [global] for the site, [/path] sections for the "
        "application (repeatable)",
    )
    parser.add_argument(
        "--as-cherrypy",
        action="store_true",
        help="let `import cherrypy` load cherrypit (for unchanged CherryPy code)",
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="when the application fails to load, print the whole traceback",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, including the sub-commands plugins contribute."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run and inspect cherrypit (CherryPy-compatible) applications.",
        epilog="CherryPy's cherryd command line works too: "
        f"{PROG} -c site.conf -i module [-d] [-p PIDFILE] (see {PROG} -c FILE --help).",
    )
    from cherrypit import VERSION

    parser.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="serve an application",
        description="Serve TARGET until interrupted (Ctrl-C or SIGTERM).",
    )
    _add_target_options(run)
    run.add_argument("--host", help="address to listen on (server.socket_host)")
    run.add_argument("--port", type=int, help="port to listen on (server.socket_port)")
    run.add_argument(
        "--environment",
        metavar="ENV",
        help="config environment: production, staging, embedded, test_suite, development",
    )
    run.add_argument(
        "--reload",
        action="store_true",
        help="restart in a fresh process when the code or config changes (autoreload plugin)",
    )
    run.set_defaults(func=cmd_run)

    plugins = sub.add_parser("plugins", help="list installed plugins")
    plugins.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="apply this config first (e.g. its plugins.disable)",
    )
    plugins.set_defaults(func=cmd_plugins)

    routes = sub.add_parser("routes", help="print the URLs an application exposes")
    _add_target_options(routes)
    routes.set_defaults(func=cmd_routes)

    try:
        # A broken plugin is left out (and reported by the commands that need it), so
        # that it does not take the built-in commands down with it.
        pluginmanager.ensure_loaded(tolerate_broken=True)
        pluginmanager.plugin_manager().hook.cherrypit_add_cli_commands(subparsers=sub)
    except ConfigError as exc:
        print(f"{PROG}: warning: plugin commands unavailable: {exc}", file=sys.stderr)
    return parser


def _config_files(argv: Sequence[str]) -> list[str]:
    """The ``-c``/``--config`` files of a built-in command line, found before parsing."""
    if not argv or argv[0] not in ("run", "routes", "plugins"):
        return []
    finder = argparse.ArgumentParser(add_help=False)
    finder.add_argument("-c", "--config", action="append", default=[])
    known, _ = finder.parse_known_args(argv[1:])
    return list(known.config)


def _disable_plugins_first(argv: Sequence[str]) -> None:
    """Apply the ``plugins.disable`` of the ``-c`` files before any plugin is imported.

    A disabled plugin is then never imported, so a broken one can be switched off from
    a config file.  The files are read again, in full, by the command itself, which
    also reports their errors.
    """
    for path in _config_files(argv):
        try:
            section = as_dict(path).get("global", {})
        except (ConfigError, OSError):
            continue
        names = section.get("plugins.disable") if isinstance(section, dict) else None
        if names:
            try:
                pluginmanager.disable(names)
            except ConfigError:
                continue


def _report_broken_plugins() -> bool:
    """Print one error line per broken plugin; whether there was any."""
    broken = pluginmanager.broken_plugins()
    for info in broken:
        error(
            f"{info.error}; disable it with plugins.disable = [{info.name!r}] in a "
            "config file given with -c, or uninstall it"
        )
    return bool(broken)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cherrypit`` command; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if daemon.is_cherryd_command_line(arguments):
        daemon.run(arguments, prog=PROG)
        return 0
    _disable_plugins_first(arguments)
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if args.command != "plugins" and _report_broken_plugins():
        return 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return 1
