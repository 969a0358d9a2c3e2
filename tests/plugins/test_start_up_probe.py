"""The start-up warm-up with the built-in plugins: the probe also runs their usual
tools (JSON in and out, a static directory), and a plugin turned off leaves its
probe request out."""

from __future__ import annotations

import cherrypit
from cherrypit._kernel import site, warmup
from cherrypit.testing import LogRecords


def test_the_probe_runs_the_json_and_static_tools(error_log: LogRecords) -> None:
    site.default.plugins.ensure_loaded()
    answers = set(warmup._exercise_cycle())
    assert ("/echo", "200 OK") in answers
    assert ("/files/warmup.py", "200 OK") in answers
    assert {status for _, status in answers} == {"200 OK", "404 Not Found"}
    assert [r for r in error_log.records if "ENGINE" not in r.getMessage()] == []


def test_a_disabled_plugin_takes_its_probe_request_along() -> None:
    cherrypit.config.update({"plugins.disable": ["static"]})
    site.default.plugins.ensure_loaded()
    targets = {target for target, _ in warmup._exercise_cycle()}
    assert "/echo" in targets
    assert not any(target.startswith("/files/") for target in targets)
