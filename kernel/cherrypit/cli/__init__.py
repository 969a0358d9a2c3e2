"""The ``cherrypit`` command line: ``run``, ``plugins``, ``routes`` and plugin commands.

``cherrypit run TARGET`` serves an application: ``module:attr`` (a root object, a
class to instantiate, an :class:`~cherrypit.Application` or a WSGI callable) or a
``.py`` script run as ``__main__`` (CherryPy scripts call ``quickstart`` themselves;
``--as-cherrypy`` lets their ``import cherrypy`` load cherrypit).  ``cherrypit
plugins`` lists the installed plugins and ``cherrypit routes TARGET`` prints the URLs
an application exposes.  Plugins add sub-commands through the
``cherrypit_add_cli_commands`` hook.

Errors the user can fix (a bad target, a port in use) are reported as one line on
stderr; exit status 2 means "bad command line or target", 1 "could not serve".

This package holds the parser and :func:`main`; each built-in command lives in its own
module (:mod:`~cherrypit.cli.run`, :mod:`~cherrypit.cli.routes`,
:mod:`~cherrypit.cli.plugins`).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from cherrypit._kernel import pluginmanager
from cherrypit._kernel.errors import ConfigError
from cherrypit.cli._common import PROG as PROG
from cherrypit.cli.plugins import cmd_plugins
from cherrypit.cli.routes import Route as Route
from cherrypit.cli.routes import cmd_routes, routes_of
from cherrypit.cli.run import Target as Target
from cherrypit.cli.run import TargetError, cmd_run, load_target
from cherrypit.cli.run import mount_target as mount_target
from cherrypit.cli.run import run_script as run_script

__all__ = ["TargetError", "build_parser", "load_target", "main", "routes_of"]


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="module:attribute, path/to/app.py or path/to/app.py:attribute",
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, including the sub-commands plugins contribute."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run and inspect cherrypit (CherryPy-compatible) applications."
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
        pluginmanager.plugin_manager().hook.cherrypit_add_cli_commands(subparsers=sub)
    except ConfigError as exc:
        # A broken plugin must not take the built-in commands down with it.
        print(f"{PROG}: warning: plugin commands unavailable: {exc}", file=sys.stderr)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cherrypit`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return 1
