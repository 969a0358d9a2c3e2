"""``python -m cherrypit_autoreload COMMAND...``: supervise COMMAND.

What a process restarting in place (``engine.autoreload`` without ``cherrypit run
--reload``) re-executes as: the supervisor then runs the original command line as its
child, so that new code that fails to import is reported and retried after the next
change instead of ending the process.
"""

from __future__ import annotations

import os
import sys

from cherrypit_autoreload.protocol import HANDOVER_ENV, read_state
from cherrypit_autoreload.supervisor import Supervisor


def main(argv: list[str]) -> int:
    """Supervise ``argv``; returns the supervisor's exit status."""
    if not argv:
        print("usage: python -m cherrypit_autoreload COMMAND [ARG...]", file=sys.stderr)
        return 2
    handover = os.environ.pop(HANDOVER_ENV, "")
    known = read_state(handover) if handover else None
    if handover:
        try:
            os.remove(handover)
        except OSError:
            pass
    # Re-executed in place by engine.autoreload: the application stopping by itself
    # (engine.exit()) ends the process, as it did before the restart.
    supervisor = Supervisor(argv, end_when_stopped=bool(handover))
    supervisor.known = known
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
