"""``cherrypy.lib.profiler``: profile files per request or aggregated, and their reports."""

from __future__ import annotations

import pstats
from pathlib import Path

import cherrypit
from cherrypit.lib import profiler
from cherrypit.testing import Client


def _functions(path: Path) -> dict[tuple[str, int, str], tuple[int, ...]]:
    table: dict[tuple[str, int, str], tuple[int, ...]] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    return table


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "".join(str(i) for i in range(50))


def test_make_app_writes_one_profile_per_request(tmp_path: Path) -> None:
    cherrypit.tree.mount(Root(), "", {"/": {"log.screen": False}})
    app = profiler.make_app(cherrypit.tree, path=str(tmp_path))
    client = Client(app=app)
    assert client.get("/").text.startswith("0123")
    assert client.get("/").status == 200
    files = app.profiler.statfiles()
    assert len(files) == 2
    assert all(name.startswith("cp_") and name.endswith(".prof") for name in files)
    # A real profile: the handler shows up among the functions called.
    called = {name for _file, _line, name in _functions(tmp_path / files[0])}
    assert "index" in called


def test_aggregate_keeps_one_profile_for_all_requests(tmp_path: Path) -> None:
    cherrypit.tree.mount(Root(), "")
    app = profiler.make_app(cherrypit.tree, path=str(tmp_path), aggregate=True)
    client = Client(app=app)
    for _ in range(3):
        client.get("/")
    (only,) = app.profiler.statfiles()
    stats = _functions(tmp_path / only)
    ((calls, *_rest),) = [v for (_f, _l, name), v in stats.items() if name == "index"]
    assert calls == 3


def test_the_profiler_site_lists_and_reports_only_its_files(tmp_path: Path) -> None:
    site = profiler.Profiler(str(tmp_path))
    site.run(sum, range(10))
    (name,) = site.statfiles()
    (tmp_path / "secret.txt").write_text("not a profile")
    cherrypit.tree.mount(site, "/profile")
    client = Client()
    assert f'href="report?filename={name}"' in client.get("/profile/").text
    report = client.get("/profile/report", query={"filename": name})
    assert report.status == 200
    assert str(report.header("Content-Type")).startswith("text/plain")
    assert "function calls" in report.text
    assert client.get("/profile/report", query={"filename": "secret.txt"}).status == 404
    assert client.get("/profile/report", query={"filename": "../x.prof"}).status == 404


def test_new_func_strip_path_keeps_the_last_parts() -> None:
    assert profiler.new_func_strip_path(("/srv/app/views.py", 3, "f")) == ("views.py", 3, "f")
    assert profiler.new_func_strip_path(("/srv/app/__init__.py", 1, "g")) == (
        "app/__init__.py", 1, "g",
    )
