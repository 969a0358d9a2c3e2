"""Instructions per request of one app under cherrypit, counted by valgrind (repeatable).

::

    python bench/instructions.py hello params        # needs valgrind
    python bench/instructions.py --requests 2000 static

Timings on a shared machine move by 10-30 % between runs; instruction counts do not.
Each app is run twice under ``valgrind --tool=callgrind`` in a fresh interpreter, with
200 warm-up requests and then 0 or ``--requests`` more; the difference divided by
``--requests`` is what one request costs, start-up excluded.  Use it to compare two
commits (run it in each checkout), not as a speed figure.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(HERE)
WARMUP = 200


def child(app_name: str, count: int) -> None:
    if _REPO_ROOT not in sys.path:
        sys.path.insert(0, _REPO_ROOT)
    sys.modules["cherrypy"] = None  # type: ignore[assignment]
    from bench import apps
    from bench.cases import CASES

    case = CASES[app_name]
    wsgi_app = apps.mount(app_name)
    base = case.base_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    for _ in range(WARMUP + count):
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(case.body)
        result = wsgi_app(environ, start_response)
        b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()


def instructions(app_name: str, count: int) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, os.path.abspath(__file__), "--child", app_name, str(count)]
    # A fixed hash seed: string hashes decide dict layouts, and so a few hundred
    # instructions per request from one run to the next.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("apps", nargs="*", default=["hello", "params", "notfound"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("APP", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)")
    for app_name in args.apps:
        per_request = (instructions(app_name, args.requests) - instructions(app_name, 0))
        print(f"{app_name}: {per_request / args.requests:,.0f} instructions per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
