"""cherrypit's autoreload plugin: ``engine.autoreload`` and ``cherrypit run --reload``.

``engine.autoreload`` becomes an :class:`~cherrypit_autoreload.reloader.Autoreloader`
(also importable as ``cherrypit.process.plugins.Autoreloader``), configured by
CherryPy's ``engine.autoreload.on/frequency/match/files`` keys.
``cherrypit run --reload`` calls :func:`supervise`, which runs the application in a
child process and starts a fresh one when its code changes.  The hook
implementations below only wire the plugin in; the work happens in
:mod:`~cherrypit_autoreload.reloader`, :mod:`~cherrypit_autoreload.supervisor`,
:mod:`~cherrypit_autoreload.child` and :mod:`~cherrypit_autoreload.watch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit.plugin import hookimpl
from cherrypit_autoreload import reloader
from cherrypit_autoreload.supervisor import supervise

if TYPE_CHECKING:
    from cherrypit.plugin import Engine

__all__ = ["supervise"]


@hookimpl
def cherrypit_engine_setup(engine: Engine) -> None:
    """Replace the kernel's ``engine.autoreload`` placeholder with an Autoreloader."""
    reloader.install(engine)


@hookimpl
def cherrypit_engine_teardown(engine: Engine) -> None:
    """Stop the Autoreloader and put the kernel's placeholder back."""
    reloader.uninstall(engine)


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back ``cherrypit.process.plugins.Autoreloader``."""
    if module == "cherrypit.process.plugins" and name == "Autoreloader":
        return reloader.Autoreloader
    return None
