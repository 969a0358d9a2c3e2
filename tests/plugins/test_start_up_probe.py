"""The start-up warm-up with the built-in plugins: their ``cherrypit_warmup_probes``
send JSON, a static file and a session through the probe, leaving the application's
state alone; a plugin turned off takes its probe request along."""

from __future__ import annotations

import cherrypit
from cherrypit._kernel import site, warmup
from cherrypit.testing import LogRecords
from cherrypit_sessions import storages
from cherrypit_sessions.ram import RamSession, WarmupSession


def test_the_built_in_plugins_probe_their_tools(error_log: LogRecords) -> None:
    site.default.plugins.ensure_loaded()
    answers = set(warmup._exercise_cycle())
    assert {("/json", "200 OK"), ("/static/__init__.py", "200 OK"), ("/session", "200 OK")} <= (
        answers
    )
    assert {status for _, status in answers} == {"200 OK", "404 Not Found"}
    assert [r for r in error_log.records if "ENGINE" not in r.getMessage()] == []


def test_the_session_probe_keeps_nothing_and_starts_no_cleanup(site_reset: None) -> None:
    site.default.plugins.ensure_loaded()
    warmup._exercise_cycle()
    assert RamSession.cache == {} and RamSession.locks == {}
    assert WarmupSession.cache == {} and WarmupSession.locks == {}
    assert storages.monitors() == []


def test_a_disabled_plugin_takes_its_probe_request_along(site_reset: None) -> None:
    cherrypit.config.update({"plugins.disable": ["static"]})
    site.default.plugins.ensure_loaded()
    targets = {target for target, _ in warmup._exercise_cycle()}
    assert "/json" in targets
    assert not any(target.startswith("/static/") for target in targets)
