"""The session cookie: secure defaults, each option, and the https Secure flag."""

from __future__ import annotations

import datetime
import email.utils
from typing import Any

import pytest

import cherrypit


def sessions_conf(**options: Any) -> dict[str, Any]:
    conf = {"tools.sessions.on": True}
    conf.update({f"tools.sessions.{k}": v for k, v in options.items()})
    return {"/": conf}


def test_defaults_are_httponly_samesite_lax_and_an_hour(mount, app, cookie) -> None:
    attrs = cookie(mount(app, sessions_conf()).get("/count"))
    assert attrs["httponly"] is True
    assert attrs["samesite"] == "Lax"
    assert attrs["path"] == "/"
    assert attrs["max-age"] == "3600"
    expires = email.utils.parsedate_to_datetime(attrs["expires"])
    left = expires - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(minutes=59) < left <= datetime.timedelta(minutes=60)
    assert "secure" not in attrs and "domain" not in attrs


def test_https_requests_get_secure(mount, app, cookie) -> None:
    attrs = cookie(mount(app, sessions_conf(), scheme="https").get("/count"))
    assert attrs["secure"] is True


@pytest.mark.parametrize(
    ("secure", "scheme", "expected"),
    [
        (True, "http", True),
        (False, "https", False),
    ],
)
def test_secure_can_be_forced_either_way(mount, app, cookie, secure, scheme, expected) -> None:
    attrs = cookie(mount(app, sessions_conf(secure=secure), scheme=scheme).get("/count"))
    assert ("secure" in attrs) is expected


def test_cherrypy_bare_cookie_is_one_config_away(mount, app, cookie) -> None:
    conf = sessions_conf(httponly=False, samesite=None, secure=False)
    attrs = cookie(mount(app, conf, scheme="https").get("/count"))
    assert not {"httponly", "samesite", "secure"} & set(attrs)


@pytest.mark.parametrize(("value", "written"), [("strict", "Strict"), ("Lax", "Lax")])
def test_samesite_values(mount, app, cookie, value, written) -> None:
    assert cookie(mount(app, sessions_conf(samesite=value)).get("/count"))["samesite"] == written


def test_samesite_none_goes_with_secure(mount, app, cookie) -> None:
    attrs = cookie(mount(app, sessions_conf(samesite="None"), scheme="https").get("/count"))
    assert attrs["samesite"] == "None" and attrs["secure"] is True


def test_name_domain_and_path(mount, app, cookie) -> None:
    conf = sessions_conf(name="sid", domain="example.org", path="/app")
    client = mount(app, conf)
    attrs = cookie(client.get("/count"), "sid")
    assert (attrs["domain"], attrs["path"]) == ("example.org", "/app")
    assert client.get("/count").text == "2"  # the custom name is read back


def test_path_header_gives_the_path(mount, app, cookie) -> None:
    client = mount(app, sessions_conf(path_header="X-Mount-Point"))
    attrs = cookie(client.get("/count", headers={"X-Mount-Point": "/mounted"}))
    assert attrs["path"] == "/mounted"
    assert cookie(client.get("/count"))["path"] == "/"


def test_timeout_sets_max_age(mount, app, cookie) -> None:
    assert cookie(mount(app, sessions_conf(timeout=5)).get("/count"))["max-age"] == "300"


def test_fractional_timeout_keeps_whole_seconds_whole(mount, app, cookie) -> None:
    assert cookie(mount(app, sessions_conf(timeout=0.5)).get("/count"))["max-age"] == "30"


def test_not_persistent_means_a_browser_session_cookie(mount, app, cookie) -> None:
    attrs = cookie(mount(app, sessions_conf(persistent=False)).get("/count"))
    assert "max-age" not in attrs and "expires" not in attrs


def test_per_path_settings(mount, app, cookie) -> None:
    conf = sessions_conf()
    conf["/peek"] = {"tools.sessions.name": "other"}
    client = mount(app, conf)
    assert cookie(client.get("/count"))["value"]
    assert cookie(client.get("/peek"), "other")["value"]


def test_decorator_form(mount, cookie) -> None:
    class Root:
        @cherrypit.expose
        @cherrypit.tools.sessions(name="deco", samesite="Strict")
        def index(self) -> str:
            cherrypit.session["x"] = 1
            return "ok"

    attrs = cookie(mount(Root()).get("/"), "deco")
    assert attrs["samesite"] == "Strict"
