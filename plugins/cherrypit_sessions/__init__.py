"""cherrypit's sessions plugin: ``tools.sessions`` with RAM and file storage.

Only the hook implementations live here.  The tool is in :mod:`~cherrypit_sessions.tool`,
the session object in :mod:`~cherrypit_sessions.base`, the storages in
:mod:`~cherrypit_sessions.ram` and :mod:`~cherrypit_sessions.files` (more come from the
``cherrypit.session_storage`` entry-point group, see :mod:`~cherrypit_sessions.storages`),
and :mod:`~cherrypit_sessions.api` backs ``cherrypit.lib.sessions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cherrypit.plugin import Settings, WarmupProbe, hookimpl
from cherrypit_sessions import api, settings, storages
from cherrypit_sessions.ram import WarmupSession

if TYPE_CHECKING:
    from cherrypit import Toolbox
    from cherrypit.process.wspbus import Bus

__all__ = [
    "api",
    "cherrypit_compat_attribute",
    "cherrypit_engine_setup",
    "cherrypit_engine_teardown",
    "cherrypit_register_tools",
    "cherrypit_settings",
    "cherrypit_warmup_probes",
]


@hookimpl
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add ``tools.sessions``."""
    toolbox.sessions = api.SessionTool()


@hookimpl
def cherrypit_settings() -> Mapping[str, Settings]:
    """Declare ``tools.sessions.*``: any name is accepted (it becomes a session
    attribute); the storage-aware check refuses what cannot work and warns about the
    rest."""
    return {"tools.sessions": Settings((), unknown="allow", check=settings.check)}


@hookimpl
def cherrypit_warmup_probes() -> Mapping[str, WarmupProbe]:
    """A new session at engine start, in a storage that keeps nothing."""
    config = {
        "tools.sessions.on": True,
        "tools.sessions.storage_class": WarmupSession,
        "tools.sessions.clean_freq": None,
    }
    return {"/session": WarmupProbe(config, "/session")}


@hookimpl
def cherrypit_engine_setup(engine: Bus) -> None:
    """Put the cleanup monitors of session storages on ``engine``."""
    storages.bind(engine)


@hookimpl
def cherrypit_engine_teardown(engine: Bus) -> None:
    """Stop the cleanup monitors and forget the prepared storages (and RAM sessions)."""
    storages.forget()


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back ``cherrypit._cptools.SessionTool`` and ``cherrypit.lib.sessions``."""
    if module == "cherrypit._cptools" and name == "SessionTool":
        return api.SessionTool
    if module == "cherrypit.lib.sessions":
        return getattr(api, name, None)
    return None
