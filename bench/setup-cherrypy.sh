#!/bin/sh
# Create the separate virtualenv with the real CherryPy that bench/run.py compares
# against (CherryPy is never a dependency of the project itself).
#
#   bench/setup-cherrypy.sh            # creates ~/.cache/cherrypit-conformance/venv
#   CHERRYPY_VENV=/some/dir bench/setup-cherrypy.sh
#
# Nothing happens when the venv already has CherryPy 18.10.0.
set -eu

VENV="${CHERRYPY_VENV:-$HOME/.cache/cherrypit-conformance/venv}"
VERSION="${CHERRYPY_VERSION:-18.10.0}"
PYTHON="${PYTHON:-python3.11}"

if [ -x "$VENV/bin/python" ] &&
   "$VENV/bin/python" -c "import cherrypy, sys; sys.exit(cherrypy.__version__ != '$VERSION')" 2>/dev/null
then
    echo "CherryPy $VERSION already installed in $VENV"
    exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "cherrypy==$VERSION"
"$VENV/bin/python" -c "import cherrypy; print('CherryPy', cherrypy.__version__, 'installed in $VENV')"
echo "run: python bench/run.py --cherrypy-python $VENV/bin/python"
