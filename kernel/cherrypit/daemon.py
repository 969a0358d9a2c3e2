"""CherryPy's ``cherryd`` command line: import modules that mount apps, then serve them.

``python -m cherrypit -c site.conf -i myapp [-d] [-p PIDFILE] [-e ENV] [-P DIR]``
(``python -m cherrypy ...`` under the ``cherrypy`` alias) imports each ``-i`` module
(which mounts its applications on ``cherrypit.tree``), applies each ``-c`` file to the
site (and, when exactly one application is mounted, to that application too), then
starts the engine with OS signal handling and waits on it.  ``-d`` detaches the process
(:class:`~cherrypit.process.plugins.Daemonizer`) and ``-p`` writes its process id
(:class:`~cherrypit.process.plugins.PIDFile`).

CherryPy's ``-f``/``-s``/``-x`` (flup FastCGI, SCGI and CGI servers) are refused with a
message: cherrypit does not ship those gateways.  New projects use ``cherrypit run``
(:mod:`cherrypit.cli`), which takes a root object instead of a module that mounts one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["is_cherryd_command_line", "parser", "run", "start"]

#: The options only ``cherryd`` has; a command line starting with one is a cherryd one.
_CHERRYD_OPTIONS = frozenset(
    {"-c", "--config", "-d", "-e", "--environment", "-f", "-s", "-x", "-i", "--import"}
    | {"-p", "--pidfile", "-P", "--Path"}
)


def is_cherryd_command_line(argv: Sequence[str]) -> bool:
    """Whether ``argv`` (without the program name) is written for ``cherryd``."""
    if not argv:
        return False
    first = argv[0].split("=", 1)[0]
    if first in _CHERRYD_OPTIONS:
        return True
    # Clustered short flags (``-dc site.conf``) and attached values (``-csite.conf``).
    return (
        len(first) > 2
        and first[0] == "-"
        and first[1] != "-"
        and f"-{first[1]}" in (_CHERRYD_OPTIONS)
    )


def parser(prog: str = "cherryd") -> argparse.ArgumentParser:
    """The ``cherryd`` option parser (the options and meanings of CherryPy's)."""
    options = argparse.ArgumentParser(
        prog=prog,
        description="Import modules that mount applications and serve them "
        "(CherryPy's cherryd command line).",
    )
    options.add_argument(
        "-c",
        "--config",
        action="append",
        dest="config",
        metavar="CONFIG",
        help="a config file (repeatable)",
    )
    options.add_argument("-d", action="store_true", dest="daemonize", help="run as a daemon")
    options.add_argument(
        "-e", "--environment", dest="environment", help="apply this config environment"
    )
    options.add_argument("-f", action="store_true", dest="fastcgi", help="not supported")
    options.add_argument("-s", action="store_true", dest="scgi", help="not supported")
    options.add_argument("-x", action="store_true", dest="cgi", help="not supported")
    options.add_argument(
        "-i",
        "--import",
        action="append",
        dest="imports",
        metavar="MODULE",
        help="a module to import; it mounts its applications (repeatable)",
    )
    options.add_argument(
        "-p", "--pidfile", dest="pidfile", help="write the process id to this file"
    )
    options.add_argument(
        "-P",
        "--Path",
        action="append",
        dest="path",
        metavar="DIR",
        help="put this directory at the front of sys.path (repeatable)",
    )
    return options


def _configure(configfiles: Sequence[str], environment: str | None, imports: Sequence[str]) -> None:
    import cherrypit
    from cherrypit._kernel.tree import Application

    # Modules named with -i are found from the working directory, as `python -m` does.
    if "" not in sys.path:
        sys.path.insert(0, "")
    for name in imports:
        importlib.import_module(name)
    for path in configfiles:
        cherrypit.config.update(path)
        apps = list(cherrypit.tree.apps.values())
        if len(apps) == 1 and isinstance(apps[0], Application):
            apps[0].merge(path)
    if environment is not None:
        cherrypit.config.update({"environment": environment})


def start(
    configfiles: Sequence[str] | None = None,
    daemonize: bool = False,
    environment: str | None = None,
    fastcgi: bool = False,
    scgi: bool = False,
    pidfile: str | None = None,
    imports: Sequence[str] | None = None,
    cgi: bool = False,
) -> None:
    """Import, configure and serve until the engine exits (CherryPy's ``daemon.start``).

    Ends the process with status 1 when the engine fails to start (the failure is in
    the error log).

    :raises NotImplementedError: for ``fastcgi``, ``scgi`` or ``cgi``.
    """
    import cherrypit
    from cherrypit.process.plugins import Daemonizer, PIDFile

    if fastcgi or scgi or cgi:
        raise NotImplementedError(
            "-f, -s and -x (flup FastCGI/SCGI/CGI servers) are not provided by cherrypit; "
            "cherrypit.tree is a WSGI application: serve it with flup's WSGIServer"
        )
    _configure(list(configfiles or ()), environment, list(imports or ()))

    engine = cherrypit.engine
    if daemonize:
        # A detached process has no terminal to write to.
        cherrypit.config.update({"log.screen": False})
        Daemonizer(engine).subscribe()
    if pidfile:
        PIDFile(engine, pidfile).subscribe()
    # Before start: a start listener may replace a handler, and must be able to.
    engine.signal_handler.subscribe()
    try:
        engine.start()
    except Exception:
        sys.exit(1)  # the engine logged why
    engine.block()


def run(argv: Sequence[str] | None = None, prog: str = "cherryd") -> None:
    """Parse a ``cherryd`` command line (``sys.argv[1:]`` by default) and :func:`start`."""
    from cherrypit._kernel.errors import ConfigError

    args = parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    for directory in reversed(args.path or ()):
        sys.path.insert(0, directory)
    try:
        start(
            configfiles=args.config,
            daemonize=args.daemonize,
            environment=args.environment,
            fastcgi=args.fastcgi,
            scgi=args.scgi,
            pidfile=args.pidfile,
            imports=args.imports,
            cgi=args.cgi,
        )
    except (ConfigError, ImportError, OSError, NotImplementedError) as exc:
        sys.exit(f"{prog}: error: {exc}")
