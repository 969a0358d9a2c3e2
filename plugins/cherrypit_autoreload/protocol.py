"""What the supervisor and its child tell each other.

The supervisor marks the child with two environment variables: :data:`CHILD_ENV`
(the child restarts by exiting instead of re-executing itself) and :data:`STATE_ENV`
(a file where the child reports what it watches).  The child exits with
:data:`RESTART_STATUS` when a watched file changed; any other exit status means the
application stopped on its own, and the supervisor waits for a change before trying
again.

The state file is one JSON object, replaced atomically::

    {"frequency": 1.0, "started": true, "files": {"/abs/app.py": 1712345678901234567}}

``files`` maps every watched path to the modification time (nanoseconds, ``null``
for a missing file) that the code the child runs was loaded from.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

__all__ = [
    "CHILD_ENV",
    "HANDOVER_ENV",
    "RESTART_STATUS",
    "STATE_ENV",
    "ChildState",
    "read_state",
    "write_state",
]

#: Set to ``"1"`` in the environment of a supervised child.
CHILD_ENV = "CHERRYPIT_RELOADER_CHILD"
#: Path of the state file the child writes.
STATE_ENV = "CHERRYPIT_RELOADER_STATE"
#: Exit status of a child that wants to be started again with fresh code.
RESTART_STATUS = 3
#: Set by a process that restarts in place and becomes a supervisor: the state file
#: holding the files it watched (as they are now), so the supervisor knows what to
#: wait for if the new code does not import.
HANDOVER_ENV = "CHERRYPIT_RELOADER_HANDOVER"


@dataclass
class ChildState:
    """What a child last reported: its watched files and how often it polls them."""

    files: dict[str, int | None] = field(default_factory=dict)
    frequency: float = 1.0
    #: Whether the child got as far as starting its engine.
    started: bool = False


def write_state(path: str, state: ChildState) -> None:
    """Write ``state`` to ``path`` so that a reader never sees half a file."""
    data = {"frequency": state.frequency, "started": state.started, "files": state.files}
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(partial, path)


def read_state(path: str) -> ChildState | None:
    """The state at ``path``, or ``None`` when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    files = {
        str(name): (mtime if isinstance(mtime, int) else None)
        for name, mtime in data["files"].items()
    }
    frequency = data.get("frequency")
    if not isinstance(frequency, (int, float)) or frequency <= 0:
        frequency = 1.0
    return ChildState(files, float(frequency), bool(data.get("started")))
