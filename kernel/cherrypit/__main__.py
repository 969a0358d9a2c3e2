"""``python -m cherrypit``: the ``cherrypit`` command (which also takes ``cherryd``'s).

Under the ``cherrypy`` alias, ``python -m cherrypy`` is CherryPy's ``cherryd``, as
with CherryPy: it always runs :mod:`cherrypit.daemon`.
"""

from cherrypit import daemon
from cherrypit.cli import main


def _as_cherrypy() -> bool:
    # runpy gives this module the spec of the name it was run as.
    spec = globals().get("__spec__")
    return str(getattr(spec, "name", "")).split(".")[0] == "cherrypy"


if __name__ == "__main__":
    if _as_cherrypy():
        daemon.run(prog="cherryd")
        raise SystemExit(0)
    raise SystemExit(main())
