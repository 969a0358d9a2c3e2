"""``python -m cherrypit``: the same as the ``cherrypit`` command."""

from cherrypit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
