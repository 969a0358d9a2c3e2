#!/bin/sh
# Create the virtualenv with the frameworks bench/run.py compares cherrypit with:
# Falcon and Bottle (never dependencies of the project itself), and cheroot, the
# HTTP server bench/over_http.py runs them under.
#
#   bench/setup-peers.sh               # creates ~/.cache/cherrypit-bench/peers
#   PEERS_VENV=/some/dir bench/setup-peers.sh
#
# Nothing happens when the venv already has both.
set -eu

VENV="${PEERS_VENV:-$HOME/.cache/cherrypit-bench/peers}"
FALCON="${FALCON_VERSION:-4.*}"
BOTTLE="${BOTTLE_VERSION:-0.13.*}"
# The cheroot cherrypit's server plugin runs on in the project venv: the same for everyone.
CHEROOT="${CHEROOT_VERSION:-11.1.2}"
PYTHON="${PYTHON:-python3.11}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import falcon, bottle, cheroot" 2>/dev/null; then
    echo "Falcon, Bottle and cheroot already installed in $VENV"
    exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "falcon==$FALCON" "bottle==$BOTTLE" "cheroot==$CHEROOT"
"$VENV/bin/python" -c "import falcon, bottle, cheroot; print('Falcon', falcon.__version__, 'Bottle', bottle.__version__, 'cheroot', cheroot.__version__, 'installed in $VENV')"
echo "run: python bench/run.py --peers-python $VENV/bin/python"
