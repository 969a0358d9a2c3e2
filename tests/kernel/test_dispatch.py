"""Object dispatch, popargs, signature mismatches and the other dispatchers (bare kernel).

Expectations were checked against CherryPy 18.10 with the same applications, except
where a comment says cherrypit differs on purpose (no trailing-slash tool without
plugins, trusted proxies for ``X-Forwarded-Host``).
"""

from __future__ import annotations

from typing import Any

import pytest

import cherrypit
from cherrypit.plugin import hookimpl, register
from cherrypit.testing import Client, TestResponse
from cherrypit.testing import mount_and_client as serve

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def message(r: TestResponse) -> str:
    """The message of an error answer (it must have one)."""
    assert r.error_message is not None, r.text
    return r.error_message


# --- exposing -------------------------------------------------------------------------


class Exposed:
    @cherrypit.expose
    def index(self) -> str:
        return "index"

    @cherrypit.expose()
    def called_decorator(self) -> str:
        return "called"

    def attr_flag(self) -> str:
        return "flag"

    attr_flag.exposed = True  # type: ignore[attr-defined]

    def hidden(self) -> str:
        return "hidden"

    @cherrypit.expose(["a1", "a2.html"])
    def aliased(self) -> str:
        return "aliased"

    @cherrypit.expose("single")
    def single_alias(self) -> str:
        return "single"

    text = "not a handler"


@cherrypit.expose
class CallableNode:
    def __call__(self, *parts: str) -> str:
        return "callable:" + "/".join(parts)

    def inner(self) -> str:
        return "inner"


def test_expose_decorator_forms() -> None:
    c = serve(Exposed())
    assert c.get("/").text == "index"
    assert c.get("/called_decorator").text == "called"
    assert c.get("/attr_flag").text == "flag"


def test_unexposed_method_and_plain_attribute_are_404() -> None:
    c = serve(Exposed())
    assert c.get("/hidden").status == 404
    assert c.get("/text").status == 404
    assert c.get("/nothing").status == 404


def test_expose_alias_list_and_string() -> None:
    c = serve(Exposed())
    assert c.get("/aliased").text == "aliased"
    assert c.get("/a1").text == "aliased"
    # "." in an alias becomes "_", and "." in a URL segment too
    assert c.get("/a2.html").text == "aliased"
    assert c.get("/a2_html").text == "aliased"
    assert c.get("/single").text == "single"
    assert c.get("/single_alias").text == "single"


def test_exposed_class_instance_is_called_with_the_rest_of_the_path() -> None:
    class Root:
        node = CallableNode()

    c = serve(Root())
    assert c.get("/node").text == "callable:"
    assert c.get("/node/x/y").text == "callable:x/y"
    # exposing a class does not expose its methods (CherryPy 18 as well)
    assert c.get("/node/inner").text == "callable:inner"


def test_exposed_plain_function_as_attribute_of_a_node() -> None:
    @cherrypit.expose
    def hello(name: str = "world") -> str:
        return "hello " + name

    class Node:
        pass

    node = Node()
    node.hello = hello  # type: ignore[attr-defined]

    class Root:
        sub = node

    c = serve(Root())
    assert c.get("/sub/hello").text == "hello world"
    assert c.get("/sub/hello?name=you").text == "hello you"


# --- index, default, positional and keyword arguments ---------------------------------


class Sub:
    @cherrypit.expose
    def index(self) -> str:
        return "sub index"

    @cherrypit.expose
    def default(self, *args: str, **kw: str) -> str:
        return "sub default:" + "/".join(args) + repr(sorted(kw.items()))


class Root:
    sub = Sub()

    @cherrypit.expose
    def index(self, *args: str, **kw: Any) -> str:
        return f"index{args!r}{sorted(kw.items())!r}"

    @cherrypit.expose
    def default(self, *args: str) -> str:
        return "root default:" + "/".join(args)

    @cherrypit.expose
    def args(self, a: str, b: str | None = None, *rest: str) -> str:
        return f"{a}|{b}|{rest}"

    @cherrypit.expose
    def kw(self, **kw: Any) -> str:
        return repr(sorted(kw.items()))

    @cherrypit.expose
    def my_page(self) -> str:
        return "my_page"

    @cherrypit.expose
    def strict(self, a: str) -> str:
        return repr(a)

    @cherrypit.expose
    def strict2(self, a: str, b: str) -> str:
        return a + b

    def unexposed(self) -> str:
        return "secret"


def test_index_with_and_without_trailing_slash() -> None:
    c = serve(Root())
    assert c.get("/").text == "index()[]"
    assert c.get("/sub/").text == "sub index"
    # no trailing_slash tool without plugins: the index answers directly
    assert c.get("/sub").text == "sub index"


def test_default_gets_the_remaining_segments_and_params() -> None:
    c = serve(Root())
    assert c.get("/sub/x/y?k=v").text == "sub default:x/y[('k', 'v')]"
    assert c.get("/nothing/here").text == "root default:nothing/here"


def test_default_catches_unexposed_attributes() -> None:
    c = serve(Root())
    assert c.get("/unexposed").text == "root default:unexposed"


def test_index_takes_positional_segments() -> None:
    c = serve(Root())
    assert c.get("/index/foo").text == "index('foo',)[]"


def test_positional_path_segments() -> None:
    c = serve(Root())
    assert c.get("/args/1").text == "1|None|()"
    assert c.get("/args/1/2/3/4").text == "1|2|('3', '4')"


def test_query_kwargs() -> None:
    c = serve(Root())
    assert c.get("/args?a=1&b=2").text == "1|2|()"
    assert c.get("/?x=1").text == "index()[('x', '1')]"


def test_repeated_query_keys_become_a_list() -> None:
    c = serve(Root())
    assert c.get("/kw?a=1&a=2&b=3").text == "[('a', ['1', '2']), ('b', '3')]"


def test_semicolon_separates_query_parameters() -> None:
    c = serve(Root())
    assert c.get("/kw?a=1;b=2").text == "[('a', '1'), ('b', '2')]"


def test_query_value_without_equals_sign_is_empty_string() -> None:
    c = serve(Root())
    assert c.get("/kw?flag").text == "[('flag', '')]"


def test_percent_encoded_utf8_query_value() -> None:
    c = serve(Root())
    assert c.get("/kw?a=%E2%82%AC").text == "[('a', '\u20ac')]"


def test_body_params_are_kwargs_and_merge_with_query() -> None:
    c = serve(Root())
    r = c.post("/kw?q=1", body="a=1&a=2&b=x", headers=FORM)
    assert r.text == "[('a', ['1', '2']), ('b', 'x'), ('q', '1')]"


def test_same_name_in_query_and_body_becomes_a_list() -> None:
    c = serve(Root())
    r = c.post("/strict?a=1", body="a=2", headers=FORM)
    assert r.status == 200
    assert r.text == "['1', '2']"


@pytest.mark.parametrize("path", ["/my-page", "/my.page", "/my_page"])
def test_punctuation_in_segments_becomes_underscore(path: str) -> None:
    c = serve(Root())
    assert c.get(path).text == "my_page"


def test_custom_translate_table() -> None:
    class R:
        @cherrypit.expose
        def a_b(self) -> str:
            return "ab"

    dispatcher = cherrypit.dispatch.Dispatcher(translate=str.maketrans({"-": "_"}))
    c = serve(R(), {"/": {"request.dispatch": dispatcher}})
    assert c.get("/a-b").text == "ab"
    assert c.get("/a.b").status == 404


# --- signature mismatches -------------------------------------------------------------


def test_missing_parameter_is_404_with_message() -> None:
    c = serve(Root())
    r = c.get("/strict")
    assert r.status == 404
    assert message(r) == "Missing parameters: a"
    r = c.get("/strict?b=1")
    assert r.status == 404
    assert message(r) == "Missing parameters: a"
    assert message(c.get("/strict2/1?a=2")) == "Missing parameters: b"


def test_unexpected_query_parameter_is_404() -> None:
    c = serve(Root())
    r = c.get("/strict?a=1&c=2")
    assert r.status == 404
    assert message(r) == "Unexpected query string parameters: c"


def test_too_many_path_segments_is_404() -> None:
    c = serve(Root())
    r = c.get("/strict/1/2")
    assert r.status == 404


def test_unexpected_body_parameter_is_400() -> None:
    c = serve(Root())
    r = c.post("/strict", body="a=1&z=2", headers=FORM)
    assert r.status == 400
    assert message(r) == "Unexpected body parameters: z"


def test_unexpected_query_parameter_with_body_is_404() -> None:
    c = serve(Root())
    r = c.post("/strict?c=1", body="a=2", headers=FORM)
    assert r.status == 404
    assert message(r) == "Unexpected query string parameters: c"


def test_missing_parameter_with_a_body_is_404() -> None:
    c = serve(Root())
    r = c.post("/strict", body="z=2", headers=FORM)
    assert r.status == 404
    assert message(r) == "Missing parameters: a"


def test_multiple_values_from_body_is_400_and_from_query_404() -> None:
    c = serve(Root())
    r = c.post("/strict2/1", body="a=2&b=3", headers=FORM)
    assert r.status == 400
    assert message(r) == "Multiple values for parameters: a"
    r = c.post("/strict2/1?a=2", body="b=3", headers=FORM)
    assert r.status == 404
    assert message(r) == "Multiple values for parameters: a"


def test_mismatch_messages_hidden_when_show_mismatched_params_is_off() -> None:
    cherrypit.config.update({"request.show_mismatched_params": False})
    c = serve(Root())
    for r in (c.get("/strict"), c.get("/strict?a=1&c=1")):
        assert r.status == 404
        assert "parameters" not in r.text
    r = c.post("/strict", body="a=1&z=2", headers=FORM)
    assert r.status == 400
    assert "parameters" not in r.text


def test_type_error_inside_handler_is_a_500_not_a_404() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            return len(5)  # type: ignore[arg-type,return-value]

    c = serve(R())
    assert c.get("/").status == 500


def test_a_path_segment_never_fills_a_keyword_only_parameter() -> None:
    class R:
        @cherrypit.expose
        def hello(self, *, name: str = "world") -> str:
            return f"Hello {name}!"

    c = serve(R())
    assert c.get("/hello?name=you").text == "Hello you!"
    assert c.get("/hello/extra").status == 404


def test_a_type_error_below_a_wrapper_taking_anything_is_a_500() -> None:
    # The wrapper's own signature decides, not the wrapped function's (CherryPy's
    # reading): the wrapper accepted the request, the failure is the application's.
    import functools

    def needs(a: str, b: str) -> str:
        return a + b

    @functools.wraps(needs)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return needs(**kwargs)

    class R:
        pass

    R.page = cherrypit.expose(wrapper)  # type: ignore[attr-defined]
    c = serve(R())
    assert c.get("/page?a=1&b=2").text == "12"
    assert c.get("/page?a=1").status == 500


# --- _cp_dispatch and popargs ---------------------------------------------------------


class Item:
    def __init__(self, name: str) -> None:
        self.name = name

    @cherrypit.expose
    def index(self) -> str:
        return "item:" + self.name

    @cherrypit.expose
    def detail(self, x: str | None = None) -> str:
        return f"detail:{self.name}:{x}"


class Items:
    def _cp_dispatch(self, vpath: list[str]) -> Any:
        if vpath:
            return Item(vpath.pop(0))
        return vpath

    @cherrypit.expose
    def index(self) -> str:
        return "items"


@cherrypit.popargs("year", "month")
class Blog:
    @cherrypit.expose
    def index(self, year: str | None = None, month: str | None = None) -> str:
        return f"blog:{year}:{month}"

    @cherrypit.expose
    def default(self, *a: str, **k: str) -> str:
        return "blog default"


class Band:
    @cherrypit.expose
    def index(self, band_id: str) -> str:
        return f"band:{band_id}"

    @cherrypit.expose
    def albums(self, band_id: str, limit: str | None = None) -> str:
        return f"albums:{band_id}:{limit}"


class Bands:
    _cp_dispatch = cherrypit.popargs("band_id", handler=Band())

    @cherrypit.expose
    def index(self) -> str:
        return "bands"


def make_user(user_id: str) -> Any:
    class User:
        @cherrypit.expose
        def index(self) -> str:
            return "user:" + user_id

        @cherrypit.expose
        def posts(self) -> str:
            return "posts:" + user_id

    return User()


class Users:
    _cp_dispatch = cherrypit.popargs("user_id", handler=make_user)


class PopRoot:
    items = Items()
    blog = Blog()
    bands = Bands()
    users = Users()


def test_cp_dispatch_chooses_the_next_node() -> None:
    c = serve(PopRoot())
    assert c.get("/items/").text == "items"
    assert c.get("/items/abc/").text == "item:abc"
    assert c.get("/items/abc/detail?x=3").text == "detail:abc:3"
    assert c.get("/items/abc/detail/5").text == "detail:abc:5"


def test_popargs_as_class_decorator() -> None:
    c = serve(PopRoot())
    assert c.get("/blog/").text == "blog:None:None"
    assert c.get("/blog/2020/").text == "blog:2020:None"
    assert c.get("/blog/2020/05/").text == "blog:2020:05"
    assert c.get("/blog/2020/05/extra").text == "blog default"


def test_popargs_with_handler_instance() -> None:
    c = serve(PopRoot())
    assert c.get("/bands/").text == "bands"
    assert c.get("/bands/7/").text == "band:7"
    assert c.get("/bands/7/albums?limit=2").text == "albums:7:2"
    assert c.get("/bands/7/albums").text == "albums:7:None"


def test_popargs_with_handler_function() -> None:
    c = serve(PopRoot())
    assert c.get("/users/9/").text == "user:9"
    assert c.get("/users/9/posts").text == "posts:9"


def test_popped_values_are_request_params() -> None:
    seen: dict[str, Any] = {}

    @cherrypit.popargs("a", "b")
    class R:
        @cherrypit.expose
        def index(self, **kw: str) -> str:
            seen.update(cherrypit.request.params)
            return repr(sorted(kw.items()))

    c = serve(R())
    assert c.get("/1/2/?c=3").text == "[('a', '1'), ('b', '2'), ('c', '3')]"
    assert seen == {"a": "1", "b": "2", "c": "3"}


def test_cp_dispatch_that_adds_segments_is_an_error() -> None:
    class R:
        def _cp_dispatch(self, vpath: list[str]) -> Any:
            vpath.append("more")
            vpath.append("more")
            return None

    c = serve(R())
    assert c.get("/a/b").status == 500


def test_exposed_cp_dispatch_is_a_handler_not_a_dispatcher() -> None:
    # An exposed _cp_dispatch is reachable as a page, so it is not used to dispatch.
    class R:
        @cherrypit.expose
        def _cp_dispatch(self, *args: Any, **kw: Any) -> str:
            return "called"

    c = serve(R())
    assert c.get("/x").status == 404


# --- ancestor default fallback --------------------------------------------------------


def test_ancestor_default_catches_deeper_misses() -> None:
    class Deep:
        class A:
            class B:
                pass

            b = B()

        a = A()

        @cherrypit.expose
        def default(self, *args: str) -> str:
            return "deep default:" + "/".join(args)

    class R:
        deep = Deep()

    c = serve(R())
    assert c.get("/deep/a/b/c").text == "deep default:a/b/c"
    assert c.get("/deep/a").text == "deep default:a"


def test_nearest_default_wins() -> None:
    class Inner:
        @cherrypit.expose
        def default(self, *args: str) -> str:
            return "inner:" + "/".join(args)

    class R:
        inner = Inner()

        @cherrypit.expose
        def default(self, *args: str) -> str:
            return "outer:" + "/".join(args)

    c = serve(R())
    assert c.get("/inner/x").text == "inner:x"
    assert c.get("/other/x").text == "outer:other/x"


def test_no_handler_is_404_with_path_in_message() -> None:
    c = serve(Exposed())
    r = c.get("/missing/path")
    assert r.status == 404
    assert message(r) == "The path '/missing/path' was not found."


def test_root_none_is_404() -> None:
    c = serve(None)
    assert c.get("/").status == 404


# --- HEAD -----------------------------------------------------------------------------


def test_head_has_no_body_and_the_same_headers() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.response.headers["X-Custom"] = "1"
            return "body content"

    c = serve(R())
    get, head = c.get("/"), c.head("/")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == str(len(b"body content"))
    assert head.headers == get.headers | {"date": head.headers["date"]}


def test_head_of_an_error_has_no_body() -> None:
    c = serve(Exposed())
    r = c.head("/missing")
    assert r.status == 404
    assert r.body == b""
    assert int(r.headers["content-length"]) > 0


# --- MethodDispatcher -----------------------------------------------------------------


@cherrypit.expose
class Resource:
    def GET(self, id: str | None = None) -> str:
        return f"GET:{id}"

    def POST(self, **kw: str) -> str:
        return "POST:" + repr(sorted(kw.items()))

    def PUT(self) -> str:
        return "PUT"


@cherrypit.expose
class OnlyPost:
    def POST(self) -> str:
        return "posted"


class ApiRoot:
    res = Resource()
    onlypost = OnlyPost()


def method_client() -> Client:
    return serve(ApiRoot(), {"/": {"request.dispatch": cherrypit.dispatch.MethodDispatcher()}})


def test_method_dispatcher_routes_by_method() -> None:
    c = method_client()
    assert c.get("/res").text == "GET:None"
    assert c.get("/res/5").text == "GET:5"
    assert c.get("/res?id=3").text == "GET:3"
    assert c.post("/res?a=1", body="").text == "POST:[('a', '1')]"
    assert c.put("/res", body="").text == "PUT"


def test_method_dispatcher_sets_allow_on_success() -> None:
    r = method_client().get("/res")
    assert r.headers["allow"] == "GET, HEAD, POST, PUT"


def test_method_dispatcher_405_keeps_allow_header() -> None:
    c = method_client()
    r = c.delete("/res")
    assert r.status == 405
    assert r.headers.get("allow") == "GET, HEAD, POST, PUT"
    r = c.get("/onlypost")
    assert r.status == 405
    assert r.headers.get("allow") == "POST"


def test_method_dispatcher_head_falls_back_to_get() -> None:
    c = method_client()
    r = c.head("/res")
    assert r.status == 200
    assert r.body == b""
    assert r.headers["content-length"] == str(len("GET:None"))


def test_method_dispatcher_no_head_without_get() -> None:
    r = method_client().head("/onlypost")
    assert r.status == 405


def test_method_dispatcher_missing_resource_is_404() -> None:
    r = method_client().get("/nope")
    assert r.status == 404


def test_method_dispatcher_uses_method_cp_config() -> None:
    @cherrypit.expose
    class R:
        @cherrypit.config(**{"response.headers.X-Method": "get"})
        def GET(self) -> str:
            return "g"

    c = serve(R(), {"/": {"request.dispatch": cherrypit.dispatch.MethodDispatcher()}})
    assert c.get("/").headers["x-method"] == "get"


# --- VirtualHost ----------------------------------------------------------------------


class Site1:
    @cherrypit.expose
    def index(self) -> str:
        return "site1"


class Site2:
    @cherrypit.expose
    def index(self) -> str:
        return "site2"

    @cherrypit.expose
    def page(self) -> str:
        return "site2 page"


class VRoot:
    s1 = Site1()
    s2 = Site2()

    @cherrypit.expose
    def index(self) -> str:
        return "vroot"


def vhost_client(**extra: Any) -> Client:
    domains: dict[str, Any] = {"www.one.com": "/s1", "www.two.com:8080": "/s2"}
    vd = cherrypit.dispatch.VirtualHost(**domains)
    serve(VRoot(), {"/": {"request.dispatch": vd, **extra}})
    return Client(host="www.one.com")


def test_virtual_host_prefixes_by_host() -> None:
    c = vhost_client()
    assert c.get("/").text == "site1"
    assert c.get("/", headers={"Host": "www.two.com:8080"}).text == "site2"
    assert c.get("/page", headers={"Host": "www.two.com:8080"}).text == "site2 page"
    assert c.get("/", headers={"Host": "unknown"}).text == "vroot"


def test_virtual_host_ignores_forwarded_host_from_untrusted_peer() -> None:
    # cherrypit difference: CherryPy believes any client's X-Forwarded-Host.
    c = vhost_client()
    c.remote_addr = "10.0.0.9"
    r = c.get("/", headers={"Host": "unknown", "X-Forwarded-Host": "www.one.com"})
    assert r.text == "vroot"


def test_virtual_host_honours_forwarded_host_from_trusted_proxy_in_app_config() -> None:
    c = vhost_client(**{"request.trusted_proxies": ["10.0.0.1"]})
    c.remote_addr = "10.0.0.1"
    r = c.get("/", headers={"Host": "unknown", "X-Forwarded-Host": "www.one.com"})
    assert r.text == "site1"
    c.remote_addr = "10.0.0.2"
    r = c.get("/", headers={"Host": "unknown", "X-Forwarded-Host": "www.one.com"})
    assert r.text == "vroot"


def test_virtual_host_honours_forwarded_host_from_trusted_proxy_in_global_config() -> None:
    cherrypit.config.update({"request.trusted_proxies": ["10.0.0.1"]})
    c = vhost_client()
    c.remote_addr = "10.0.0.1"
    r = c.get("/", headers={"Host": "unknown", "X-Forwarded-Host": "www.one.com"})
    assert r.text == "site1"


def test_virtual_host_without_x_forwarded_host() -> None:
    vd = cherrypit.dispatch.VirtualHost(use_x_forwarded_host=False, **{"www.one.com": "/s1"})
    serve(VRoot(), {"/": {"request.dispatch": vd, "request.trusted_proxies": ["127.0.0.1"]}})
    r = Client().get("/", headers={"Host": "unknown", "X-Forwarded-Host": "www.one.com"})
    assert r.text == "vroot"


def test_virtual_host_gives_the_static_section_without_its_prefix() -> None:
    # A section configured under the vhost prefix serves the URLs without it, so the
    # staticdir tool must see the section as the browser's path (CherryPy does so).
    # The section is given to whoever declares the marker key (the static plugin).
    class Markers:
        @hookimpl
        def cherrypit_section_markers(self) -> dict[str, str]:
            return {"tools.staticdir.dir": "tools.staticdir.section"}

    register(Markers(), "markers")
    seen: list[str] = []

    def staticdir(section: str, dir: str) -> bool:
        seen.append(section)
        cherrypit.response.body = [section.encode()]
        return True

    cherrypit.tools.staticdir = cherrypit.HandlerTool(staticdir)
    domains: dict[str, Any] = {"www.two.com": "/s2"}
    vd = cherrypit.dispatch.VirtualHost(**domains)
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": "/srv"}
    serve(VRoot(), {"/": {"request.dispatch": vd}, "/s2/assets": conf})
    c = Client(host="www.two.com")
    assert c.get("/assets/a.css").text == "/assets"
    # Without the virtual host, the same section is reached by its full path.
    assert Client(host="other").get("/s2/assets/a.css").text == "/s2/assets"
    assert seen == ["/assets", "/s2/assets"]


# --- RoutesDispatcher -----------------------------------------------------------------


class City:
    def __init__(self, name: str) -> None:
        self.name = name

    def index(self, **kw: str) -> str:
        return "city:" + self.name + repr(sorted(kw.items()))

    def show(self, cityid: str) -> str:
        return f"show:{self.name}:{cityid}"

    show._cp_config = {"response.headers.X-Show": "yes"}  # type: ignore[attr-defined]


def routes_client() -> Client:
    pytest.importorskip("routes")
    d = cherrypit.dispatch.RoutesDispatcher()
    d.connect("home", "/", controller=City("Seattle"), action="index")
    d.connect("show", "/cities/{cityid}", controller=City("Seattle"), action="show")
    d.connect(
        "update",
        "/cities/{cityid}/update",
        controller=City("Seattle"),
        action="show",
        conditions={"method": ["POST"]},
    )
    return serve(None, {"/": {"request.dispatch": d}}, "/r")


def test_routes_dispatcher_matches_and_passes_params() -> None:
    c = routes_client()
    assert c.get("/r/").text == "city:Seattle[]"
    assert c.get("/r/?x=1").text == "city:Seattle[('x', '1')]"
    r = c.get("/r/cities/42")
    assert r.text == "show:Seattle:42"
    assert r.headers["x-show"] == "yes"


def test_routes_dispatcher_miss_and_method_condition() -> None:
    c = routes_client()
    assert c.get("/r/nowhere").status == 404
    assert c.get("/r/cities/4/update").status == 404
    assert c.post("/r/cities/4/update", body="").text == "show:Seattle:4"


# --- config trail ---------------------------------------------------------------------


def test_request_config_collects_cp_config_and_sections_along_the_path() -> None:
    class Leaf:
        _cp_config = {"myapp.leaf": "class"}

        @cherrypit.expose
        @cherrypit.config(**{"myapp.handler": "method"})
        def index(self) -> str:
            conf = cherrypit.request.config
            return "|".join(
                str(conf.get(k))
                for k in ("myapp.root", "myapp.leaf", "myapp.handler", "myapp.section")
            )

    class R:
        _cp_config = {"myapp.root": "root", "myapp.leaf": "root"}
        leaf = Leaf()

    c = serve(R(), {"/leaf": {"myapp.section": "section", "myapp.leaf": "section"}})
    assert c.get("/leaf/").text == "root|section|method|section"


def test_is_index_flag() -> None:
    seen: list[Any] = []

    class Node:
        @cherrypit.expose
        def index(self) -> str:
            seen.append(cherrypit.request.is_index)
            return ""

        @cherrypit.expose
        def page(self, *args: str) -> str:
            seen.append(cherrypit.request.is_index)
            return ""

    class R:
        node = Node()

    c = serve(R())
    c.get("/node/")
    c.get("/node/page")
    c.get("/node/page/extra")
    assert seen == [True, False, False]


# --- custom dispatchers ---------------------------------------------------------------


def test_plain_callable_dispatcher_setting_handler_and_config() -> None:
    # CherryPy allows any callable as request.dispatch: it sets request.handler/config.
    def page() -> bytes:
        return b"custom " + cherrypit.request.path_info.encode()

    def my_dispatch(path_info: str) -> None:
        cherrypit.request.handler = page
        cherrypit.request.config = {"response.headers.X-Custom": "yes"}

    c = serve(Root(), {"/": {"request.dispatch": my_dispatch}})
    r = c.get("/anything")
    assert r.status == 200
    assert r.text == "custom /anything"
    assert r.headers["x-custom"] == "yes"


def test_dispatcher_subclass_rewriting_the_path() -> None:
    class Prefixing(cherrypit.dispatch.Dispatcher):
        def __call__(self, path_info: str) -> None:
            super().__call__("/sub" + path_info)

    c = serve(Root(), {"/": {"request.dispatch": Prefixing()}})
    assert c.get("/").text == "sub index"
    assert c.get("/x").text == "sub default:x[]"


def test_find_handler_compat_api() -> None:
    seen: dict[str, Any] = {}

    def my_dispatch(path_info: str) -> None:
        handler, vpath = cherrypit.dispatch.Dispatcher().find_handler(path_info)
        seen["found"] = (getattr(handler, "__name__", None), vpath)
        cherrypit.request.handler = cherrypit.dispatch.LateParamPageHandler(handler, *vpath)

    c = serve(Root(), {"/": {"request.dispatch": my_dispatch}})
    assert c.get("/args/1/2").text == "1|2|()"
    assert seen["found"] == ("args", ["1", "2"])


# --- path length ----------------------------------------------------------------------


class Loop:
    """A node that is its own child: every path of ``a`` segments finds a handler."""

    @cherrypit.expose
    def index(self) -> str:
        return "looped"


Loop.a = Loop()  # type: ignore[attr-defined]


def test_more_path_segments_than_the_cap_is_414() -> None:
    c = serve(Loop())
    assert c.get("/a" * 999).text == "looped"
    r = c.get("/a" * 1001)
    assert r.status == 414
    assert message(r) == "The path has 1001 segments; at most 1000 are allowed."
    # Empty segments (doubled slashes) do not count, as they do not dispatch.
    assert c.get("//a" * 999).text == "looped"


def test_the_segment_cap_is_set_in_the_root_section() -> None:
    c = serve(Loop(), {"/": {"request.max_path_segments": 3}})
    assert c.get("/a/a/a").text == "looped"
    assert c.get("/a/a/a/a").status == 414


def test_no_segment_cap_walks_a_long_path_to_its_end() -> None:
    # 40,000 segments: a walk that is not linear in the path would take minutes.
    c = serve(Loop(), {"/": {"request.max_path_segments": 0}})
    assert c.get("/a" * 40_000).text == "looped"
    r = c.get("/a" * 20_000 + "/b" * 20_000)
    assert r.status == 404


def test_the_walk_stops_where_no_node_and_no_deeper_section_remain() -> None:
    conf = {
        "/": {"request.max_path_segments": 0},
        "/gone/deeper": {"response.headers.x-section": "deeper"},
    }
    c = serve(Loop(), conf)
    # Below a missing node, a deeper config section still applies, as in CherryPy ...
    assert c.get("/gone/deeper/x").header("X-Section") == "deeper"
    # ... and where none remains the rest of the path is not looked at.
    r = c.get("/gone" + "/x" * 40_000)
    assert r.status == 404 and r.header("X-Section") is None
