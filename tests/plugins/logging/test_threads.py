"""Concurrent requests on the real HTTP server: each line carries its own request's id."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

import cherrypit
from cherrypit.testing import free_port
from cherrypit_logging import get_logger

log = get_logger("threads")


class Echo:
    @cherrypit.expose
    def index(self, n: str = "0") -> str:
        log.info("hit", n=n)
        cherrypit.log(f"hit {n}", "APP")
        return str(cherrypit.request.unique_id)


@pytest.mark.e2e
def test_concurrent_requests_keep_their_own_fields(mount, tmp_path):
    mount(Echo())
    port = free_port()
    error_file, access_file = tmp_path / "error.log", tmp_path / "access.log"
    cherrypit.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "log.format": "json",
            "log.error_file": str(error_file),
            "log.access_file": str(access_file),
        }
    )
    ids: dict[str, str] = {}

    def fetch(n: int) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?n={n}", timeout=10) as resp:
            ids[str(n)] = resp.read().decode()

    cherrypit.engine.start()
    try:
        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        cherrypit.engine.stop()

    assert len(set(ids.values())) == 12
    errors = [json.loads(line) for line in error_file.read_text("utf-8").splitlines()]
    structured = [e for e in errors if e["event"] == "hit"]
    plain = [e for e in errors if e.get("context") == "APP"]
    assert len(structured) == len(plain) == 12
    for line in structured:
        assert line["request_id"] == ids[line["n"]]
    for line in plain:
        assert line["request_id"] == ids[line["event"].split()[1]]
    access = [json.loads(line) for line in access_file.read_text("utf-8").splitlines()]
    assert sorted(a["request_id"] for a in access) == sorted(ids.values())
    assert all(a["status"] == 200 for a in access)
