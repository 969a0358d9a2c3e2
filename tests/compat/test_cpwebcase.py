"""``cherrypit.test.helper.CPWebCase``: a CherryPy-style unittest suite over real HTTP."""

from __future__ import annotations

import datetime
import unittest

import pytest

import cherrypit as cherrypy
from cherrypit.test import helper

pytestmark = pytest.mark.e2e


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "Hello from CPWebCase"

    @cherrypy.expose
    def echo(self, **params: str) -> str:
        cherrypy.response.headers["X-Method"] = cherrypy.request.method
        cherrypy.response.headers["Cache-Control"] = "no-cache, private"
        return ",".join(f"{k}={v}" for k, v in sorted(params.items()))

    @cherrypy.expose
    def fail(self) -> str:
        raise ValueError("deliberate failure")

    @cherrypy.expose
    def cookie(self) -> str:
        cherrypy.response.cookie["flavour"] = "oatmeal"
        return "baked"


class HelloTest(helper.CPWebCase):
    @staticmethod
    def setup_server() -> None:
        cherrypy.tree.mount(Root())
        cherrypy.tree.mount(Root(), "/sub")

    def test_get_page_and_body_assertions(self) -> None:
        status, headers, body = self.getPage("/")
        assert (status, body) == ("200 OK", b"Hello from CPWebCase")
        assert self.headers is headers
        self.assertStatus(200)
        self.assertStatus("200 OK")
        self.assertStatus([404, "200 OK"])
        self.assertBody("Hello from CPWebCase")
        self.assertInBody("CPWebCase")
        self.assertNotInBody("Goodbye")
        self.assertMatchesBody(r"Hello \w+ CPWebCase")
        self.assertHeader("Content-Length", str(len(body)))
        self.assertNoHeader("X-Method")
        with self.assertRaises(AssertionError):
            self.assertStatus(404)
        with self.assertRaises(AssertionError):
            self.assertBody("something else")
        with self.assertRaises(AssertionError):
            self.assertHeader("X-Missing")

    def test_post_body_and_header_items(self) -> None:
        self.getPage("/echo", method="POST", body="b=2&a=1")
        self.assertStatus(200)
        self.assertBody("a=1,b=2")
        self.assertHeader("X-Method", "POST")
        self.assertHeaderIn("X-Method", ["PUT", "POST"])
        self.assertHeaderItemValue("Cache-Control", "private")
        self.assertNoHeaderItemValue("X-Method", "GET")
        with self.assertRaises(AssertionError):
            self.assertHeaderItemValue("Cache-Control", "public")
        with self.assertRaises(AssertionError):
            self.assertNoHeaderItemValue("X-Method", "POST")

    def test_error_pages(self) -> None:
        self.getPage("/nowhere")
        self.assertErrorPage(404, "The path '/nowhere' was not found.")
        self.getPage("/fail")
        self.assertErrorPage(500, pattern="ValueError: deliberate failure")
        with self.assertRaises(AssertionError):
            self.assertErrorPage(500, pattern="KeyError")
        with self.assertRaises(AssertionError):
            self.assertErrorPage(500, pattern=None)

    def test_cookies_and_dates(self) -> None:
        self.getPage("/cookie")
        assert self.cookies == [("Cookie", "flavour=oatmeal")]
        now = datetime.datetime.now()
        self.assertEqualDates(now, now + datetime.timedelta(seconds=1))
        with self.assertRaises(AssertionError):
            self.assertEqualDates(now, now + datetime.timedelta(seconds=5))

    def test_server_address_and_http_10(self) -> None:
        assert self.HOST == "127.0.0.1"
        assert self.PORT > 0
        assert self.base() == f"http://127.0.0.1:{self.PORT}"
        assert not self.interactive
        self.getPage("/", protocol="HTTP/1.0")
        self.assertStatus(200)


class ScriptNameTest(helper.CPWebCase):
    script_name = "/sub"

    @staticmethod
    def setup_server() -> None:
        cherrypy.tree.mount(Root(), "/sub")

    def test_script_name_is_prepended(self) -> None:
        self.getPage("/echo?x=1")
        self.assertBody("x=1")
        assert self.url == b"/sub/echo?x=1"
        assert self.prefix() == "/sub"


def test_teardown_stops_the_engine_and_resets_the_site() -> None:
    class Once(helper.CPWebCase):
        @staticmethod
        def setup_server() -> None:
            cherrypy.tree.mount(Root())

        def test_index(self) -> None:
            self.getPage("/")
            self.assertStatus(200)

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Once).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert cherrypy.engine.state is not cherrypy.engine.states.STARTED
    assert cherrypy.tree.apps == {}
