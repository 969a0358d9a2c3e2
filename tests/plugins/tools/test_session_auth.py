"""tools.session_auth: login form, do_login/do_logout, same-origin redirects, fixation."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit.lib import cptools
from cherrypit_tools.session_auth import SessionAuth, is_local_url


def check(username, password):
    if (username, password) != ("alice", "wonderland"):
        return "Wrong login/password"
    return None


EVENTS: list[tuple[str, str]] = []


class Root:
    @cherrypit.expose
    def index(self):
        return f"hello {cherrypit.request.login}"

    @cherrypit.expose
    def page(self, x=None):
        return f"page {cherrypit.request.login} x={x}"


def auth_config(**extra):
    conf = {
        "tools.sessions.on": True,
        "tools.session_auth.on": True,
        "tools.session_auth.check_username_and_password": check,
        "tools.session_auth.on_login": lambda u: EVENTS.append(("login", u)),
        "tools.session_auth.on_logout": lambda u: EVENTS.append(("logout", u)),
    }
    conf.update({f"tools.session_auth.{k}": v for k, v in extra.items()})
    return {"/": conf}


@pytest.fixture
def sessions(mount):
    if "sessions" not in cherrypit.tools:
        pytest.skip("tools.sessions (the sessions plugin, plugins/cherrypit_sessions) is missing")


@pytest.fixture
def client(sessions, mount):
    EVENTS.clear()
    return mount(Root(), auth_config())


def login(client, username="alice", password="wonderland", from_page="/page?x=1"):
    return client.post(
        "/do_login", data={"username": username, "password": password, "from_page": from_page}
    )


def test_anonymous_visitor_gets_the_login_form(client):
    r = client.get("/page", query={"x": "1"})
    assert r.status == 200
    assert '<form method="post" action="do_login">' in r.text
    assert 'name="from_page" value="/page?x=1"' in r.text


def test_login_redirects_and_logs_in(client):
    client.get("/")
    old_id = client.cookies["session_id"]
    r = login(client)
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/page?x=1"
    assert EVENTS == [("login", "alice")]
    # The session id changed at login (fixation), and the new one is logged in.
    assert client.cookies["session_id"] != old_id
    assert client.get("/page", query={"x": "2"}).text == "page alice x=2"


def test_failed_login_shows_the_form_escaped(client):
    r = login(client, username='"><script>alert(1)</script>', password="x")
    assert r.status == 200
    assert "<script>" not in r.text
    assert "&quot;&gt;&lt;script&gt;" in r.text
    assert "Message: Wrong login/password" in r.text
    assert client.get("/").text.startswith("<!DOCTYPE html>")  # still logged out


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "http://evil.example/", "/\\evil.example", "https:evil", "\t//evil"],
)
def test_off_site_from_page_goes_home(client, target):
    r = login(client, from_page=target)
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/"


def test_check_from_page_false_restores_cherrypy(sessions, mount):
    client = mount(Root(), auth_config(check_from_page=False))
    r = login(client, from_page="//evil.example/")
    assert r.header("Location") == "http://evil.example/"


def test_regenerate_id_false_keeps_the_id(sessions, mount):
    client = mount(Root(), auth_config(regenerate_id=False))
    client.get("/")
    old_id = client.cookies["session_id"]
    assert login(client).status == 303
    assert client.cookies["session_id"] == old_id


def test_logout(client):
    login(client)
    r = client.post("/do_logout", data={"from_page": "/page"})
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/page"
    assert EVENTS == [("login", "alice"), ("logout", "alice")]
    assert "do_login" in client.get("/").text


@pytest.mark.parametrize("path", ["/do_login", "/do_logout"])
def test_actions_need_post(client, path):
    r = client.get(path)
    assert r.status == 405
    assert r.header("Allow") == "POST"


def test_login_screen_path_and_exact_segments(client):
    r = client.get("/login_screen")
    assert (r.status, 'value=".."' in r.text) == (200, True)
    # Only the last segment counts: /undo_login is an ordinary (protected) page.
    assert client.get("/undo_login").status == 200
    assert "do_login" in client.get("/undo_login").text


def test_without_a_check_nobody_logs_in(sessions, mount):
    client = mount(Root(), {"/": {"tools.sessions.on": True, "tools.session_auth.on": True}})
    r = login(client)
    assert r.status == 200
    assert "Login is not configured" in r.text


def test_anonymous_and_on_check(sessions, mount):
    seen: list[str] = []
    client = mount(
        Root(),
        auth_config(anonymous=lambda: "guest", on_check=seen.append, session_key="who"),
    )
    assert client.get("/").text == "hello guest"
    assert seen == ["guest"]


def test_list_valued_credentials_are_400(client):
    r = client.post("/do_login", data={"username": ["a", "b"], "password": "x"})
    assert r.status == 400


def test_needs_the_sessions_tool(mount, error_log):
    client = mount(Root(), {"/": {"tools.session_auth.on": True}})
    assert client.get("/").status == 500
    assert "switch tools.sessions.on on" in error_log.text()


def test_debug_messages(sessions, mount, error_log):
    client = mount(Root(), auth_config(debug=True))
    client.get("/")
    assert "No username, routing to login_screen" in error_log.text()


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("/", True),
        ("..", True),
        ("page?x=1", True),
        ("/a/b#frag", True),
        ("", False),
        (None, False),
        (["/"], False),
        ("//evil", False),
        ("///evil", False),
        ("http://x/", False),
        ("javascript:alert(1)", False),
        ("/\\evil", False),
        ("/a\r\nSet-Cookie: x", False),
    ],
)
def test_is_local_url(target, local):
    assert is_local_url(target) is local


def test_compat_names(site_reset):
    assert cptools.SessionAuth is SessionAuth
    assert cherrypit._cptools.SessionAuthTool is type(cherrypit.tools.session_auth)
    page = SessionAuth().login_screen(from_page='"x', username="<u>", error_msg="&")
    assert b'value="&quot;x"' in page and b"&lt;u&gt;" in page and b"&amp;" in page
