"""The benchmark's peer apps answer every case as the cherrypit apps do.

Falcon and Bottle are not project dependencies: their apps are checked where they are
importable, the bare WSGI callable always.
"""

from __future__ import annotations

import importlib.util

import pytest

from bench import peers
from bench.cases import CASES
from bench.worker import _call


@pytest.mark.parametrize("framework", peers.PEER_NAMES)
@pytest.mark.parametrize("app_name", sorted(CASES))
def test_peer_answers_the_case(framework: str, app_name: str) -> None:
    if framework != "raw" and importlib.util.find_spec(framework) is None:
        pytest.skip(f"{framework} is not installed here (bench/setup-peers.sh)")
    peers.select(framework)
    case = CASES[app_name]
    if app_name == "session":
        with pytest.raises(peers.Skip, match="no built-in sessions"):
            peers.mount(app_name)
        return
    status, body = _call(peers.mount(app_name), case.base_environ(), case.body)
    assert case.verify(status, body) == ""


def test_unknown_peer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown peer 'flask'"):
        peers.select("flask")


def test_the_request_model_floor_answers_hello_as_the_apps_do() -> None:
    from bench import floor

    case = CASES["hello"]
    status, body = _call(floor.model_app(), case.base_environ(), case.body)
    assert case.verify(status, body) == ""
