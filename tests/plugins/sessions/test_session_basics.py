"""cherrypit.session: lazy loading, ids, regenerate/expire/delete, the dict API, compat names."""

from __future__ import annotations

import datetime
import email.utils
import importlib

import pytest

import cherrypit
from cherrypit._kernel import serving
from cherrypit_sessions.api import FileSession, RamSession, Session, SessionTool

ON = {"/": {"tools.sessions.on": True}}


def in_the_past(http_date: str) -> bool:
    return email.utils.parsedate_to_datetime(http_date) < datetime.datetime.now(datetime.UTC)


def test_counter_is_kept_per_client(mount, app) -> None:
    first = mount(app, ON)
    assert [first.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    second = cherrypit.testing.Client()
    assert second.get("/count").text == "1"
    assert first.get("/count").text == "4"
    assert first.cookies["session_id"] != second.cookies["session_id"]


def test_session_works_again_after_del_cherrypit_session(mount, app) -> None:
    # CherryPy code resets the proxy with ``del cherrypy.session`` when it switches
    # storage classes; CherryPy's session tool then puts a new proxy in its place.
    client = mount(app, ON)
    assert client.get("/count").text == "1"
    del cherrypit.session
    assert client.get("/count").text == "2"
    assert "session" in vars(cherrypit)


def test_an_untouched_session_sends_a_cookie_but_stores_nothing(mount, app, cookie) -> None:
    client = mount(app, ON)
    response = client.get("/untouched")
    sid = cookie(response)["value"]
    assert len(sid) == 40
    assert sid not in RamSession.cache


def test_a_known_id_is_kept_and_not_missing(mount, app) -> None:
    client = mount(app, ON)
    client.get("/count")
    sid = client.cookies["session_id"]
    assert client.get("/info").text == f"id={sid} original={sid} missing=False"


def test_an_unknown_well_formed_id_is_replaced(mount, app, cookie) -> None:
    client = mount(app, ON)
    forged = "ab" * 20
    response = client.get("/info", headers={"Cookie": f"session_id={forged}"})
    new_id = cookie(response)["value"]
    assert new_id != forged
    assert response.text == f"id={new_id} original={forged} missing=True"


class Regenerating:
    @cherrypit.expose
    def put(self, value: str) -> str:
        cherrypit.session["value"] = value
        return "ok"

    @cherrypit.expose
    def regenerate_unloaded(self) -> str:
        old = cherrypit.session.id
        cherrypit.session.regenerate()
        return f"{old}>{cherrypit.session.id} regenerated={cherrypit.session.regenerated}"

    @cherrypit.expose
    def regenerate_loaded(self) -> str:
        old = cherrypit.session.id
        value = cherrypit.session.get("value")
        cherrypit.session.regenerate()
        return f"{old}>{cherrypit.session.id} value={value}"

    @cherrypit.expose
    def tool_regenerate(self) -> str:
        cherrypit.session.get("value")
        tool = cherrypit.tools.sessions
        assert isinstance(tool, SessionTool)
        tool.regenerate()
        return str(cherrypit.session.id)

    @cherrypit.expose
    def get(self) -> str:
        return repr(cherrypit.session.get("value"))


def test_regenerate_before_loading_drops_the_data(mount, cookie) -> None:
    client = mount(Regenerating(), ON)
    client.get("/put?value=a")
    old = client.cookies["session_id"]
    response = client.get("/regenerate_unloaded")
    before, _, rest = response.text.partition(">")
    new, _, flag = rest.partition(" ")
    assert before == old and new != old and flag == "regenerated=True"
    assert cookie(response)["value"] == new
    assert old not in RamSession.cache
    assert client.get("/get").text == "None"


def test_regenerate_after_loading_keeps_the_data_under_the_new_id(mount) -> None:
    client = mount(Regenerating(), ON)
    client.get("/put?value=kept")
    old = client.cookies["session_id"]
    text = client.get("/regenerate_loaded").text
    assert text.endswith("value=kept")
    assert client.cookies["session_id"] != old
    assert old not in RamSession.cache
    assert client.get("/get").text == "'kept'"


def test_tool_regenerate_resends_the_cookie_with_its_settings(mount, cookie) -> None:
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.domain": "example.org"}}
    client = mount(Regenerating(), conf)
    client.get("/put?value=x")
    response = client.get("/tool_regenerate")
    attrs = cookie(response)
    assert attrs["value"] == response.text
    assert attrs["domain"] == "example.org"
    assert attrs["httponly"] is True
    assert len(response.header_values("Set-Cookie")) == 1


class Ending:
    @cherrypit.expose
    def put(self) -> str:
        cherrypit.session["k"] = 1
        return "ok"

    @cherrypit.expose
    def module_expire(self) -> str:
        importlib.import_module("cherrypit.lib.sessions").expire()
        return "expired"

    @cherrypit.expose
    def session_expire(self) -> str:
        cherrypit.session.expire()
        return "expired"

    @cherrypit.expose
    def delete(self) -> str:
        cherrypit.session.delete()
        return "deleted"


def test_module_expire_sends_a_past_expiry_without_max_age(mount, cookie) -> None:
    client = mount(Ending(), ON)
    client.get("/put")
    sid = client.cookies["session_id"]
    attrs = cookie(client.get("/module_expire"))
    assert "max-age" not in attrs
    assert in_the_past(attrs["expires"])
    assert sid in RamSession.cache  # CherryPy's expire() only touches the cookie


def test_session_expire_deletes_the_data_and_the_cookie(mount, cookie) -> None:
    client = mount(Ending(), ON)
    client.get("/put")
    sid = client.cookies["session_id"]
    attrs = cookie(client.get("/session_expire"))
    assert "max-age" not in attrs
    assert in_the_past(attrs["expires"])
    assert sid not in RamSession.cache


def test_delete_forgets_the_session(mount, app) -> None:
    client = mount(Ending(), ON)
    client.get("/put")
    sid = client.cookies["session_id"]
    client.get("/delete")
    assert sid not in RamSession.cache


class DictApi:
    @cherrypit.expose
    def run(self) -> str:
        s = cherrypit.session
        s["a"] = 1
        s.update({"b": 2}, c=3)
        assert s.setdefault("d", 4) == 4 and s.setdefault("a", 9) == 1
        assert "a" in s and "zz" not in s
        assert s.pop("d") == 4 and s.pop("nope", "dflt") == "dflt"
        with pytest.raises(KeyError):
            s.pop("nope")
        del s["c"]
        with pytest.raises(KeyError):
            s["c"]
        return f"{sorted(s)} {sorted(s.keys())} {sorted(s.values())} {sorted(s.items())}"

    @cherrypit.expose
    def clear(self) -> str:
        cherrypit.session.clear()
        return repr(sorted(cherrypit.session.keys()))


def test_dict_interface(mount) -> None:
    client = mount(DictApi(), ON)
    assert client.get("/run").text == "['a', 'b'] ['a', 'b'] [1, 2] [('a', 1), ('b', 2)]"
    assert client.get("/clear").text == "[]"


def test_id_observers_hear_new_ids(mount) -> None:
    heard: list[str] = []

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.session.id_observers.append(heard.append)
            cherrypit.session.regenerate()
            return str(cherrypit.session.id)

    client = mount(Root(), ON)
    assert heard == [client.get("/").text]


def test_the_session_slot_is_cleared_after_the_request(mount, app) -> None:
    client = mount(app, ON)
    client.get("/count")
    assert serving.current().session is None


class Streaming:
    @cherrypit.expose
    def put(self) -> str:
        cherrypit.session["n"] = 0
        return "ok"

    @cherrypit.expose
    def generated(self):
        def body():
            yield "a"
            cherrypit.session["n"] = cherrypit.session["n"] + 1
            yield "b"

        return body()

    @cherrypit.expose
    def get(self) -> str:
        return str(cherrypit.session["n"])


def test_a_generator_body_runs_before_the_save(mount) -> None:
    client = mount(Streaming(), ON)
    client.get("/put")
    assert client.get("/generated").text == "ab"
    assert client.get("/get").text == "1"


def test_a_streamed_body_saves_at_the_end_of_the_request(mount) -> None:
    conf = {"/": {"tools.sessions.on": True}, "/generated": {"response.stream": True}}
    client = mount(Streaming(), conf)
    client.get("/put")
    assert client.get("/generated").text == "ab"
    assert client.get("/get").text == "1"


def test_compat_names_are_the_plugin_objects(site_reset) -> None:
    lib_sessions = importlib.import_module("cherrypit.lib.sessions")
    assert lib_sessions.Session is Session
    assert lib_sessions.RamSession is RamSession
    assert lib_sessions.FileSession is FileSession
    for name in ("init", "save", "close", "expire", "set_response_cookie"):
        assert callable(getattr(lib_sessions, name))
    assert cherrypit._cptools.SessionTool is SessionTool
    assert isinstance(cherrypit.tools.sessions, SessionTool)


def test_init_called_directly_opens_a_session(mount, cookie) -> None:
    from cherrypit.lib import sessions

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            sessions.init(name="manual", httponly=False)
            cherrypit.session["x"] = 1
            sessions.save()
            sessions.close()
            return "ok"

    client = mount(Root())
    attrs = cookie(client.get("/"), "manual")
    assert "httponly" not in attrs
    assert attrs["value"] in RamSession.cache


def test_debug_logs_what_the_session_does(mount, app, error_log) -> None:
    client = mount(app, {"/": {"tools.sessions.on": True, "tools.sessions.debug": True}})
    client.get("/count")
    client.get("/count")
    text = error_log.text()
    assert "Generated a new session id." in text
    assert "Using the session the client sent." in text
    assert "Lock acquired." in text and "Saved the session" in text
    assert client.cookies["session_id"] not in text  # ids are secrets: never logged
