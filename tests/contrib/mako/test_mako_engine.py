"""The Mako engine with real template files, directly and through tools.template."""

from __future__ import annotations

import textwrap

import pytest

import cherrypit
from cherrypit.testing import Client
from cherrypit_mako import MakoEngine
from cherrypit_templates import TemplateError, TemplateNotFound

TEMPLATES = {
    "base.html": """\
        <html><head><title>${self.title()}</title></head>
        <body>${next.body()}</body></html>
        <%def name="title()">Site</%def>
        """,
    "page.html": """\
        <%inherit file="base.html"/>
        <%def name="title()">${heading}</%def>
        <%include file="partials/greeting.html"/>
        <p>${message}</p>
        """,
    "partials/greeting.html": '<p class="greeting">Hello ${name}</p>',
    "raw.html": "${message | n}",
    "context.html": "${request.path_info}|${request.method}|${url('/a')}",
    "syntax.html": "line one\n% if broken:\nnever closed\n",
    "runtime_base.html": "first\n${1 // zero}\n${next.body()}\n",
    "runtime_child.html": '<%inherit file="runtime_base.html"/>\nchild\n',
    "include_missing.html": 'a\n<%include file="nowhere.html"/>\n',
    "redirect.html": "before ${go()} after",
}

PAGE = {"heading": "Welcome", "message": "<script>alert(1)</script>", "name": "Ann & Bob"}


@pytest.fixture
def folder(tmp_path):
    for name, text in TEMPLATES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.fixture
def engine(folder):
    return MakoEngine([str(folder)])


def test_inheritance_and_include(engine):
    page = engine.render("page.html", PAGE)
    assert "<title>Welcome</title>" in page
    assert '<p class="greeting">Hello Ann &amp; Bob</p>' in page
    assert page.rstrip().endswith("</body></html>")


def test_values_are_escaped(engine):
    page = engine.render("page.html", PAGE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page


def test_the_n_filter_opts_out_of_escaping(engine):
    assert engine.render("raw.html", PAGE).strip() == "<script>alert(1)</script>"


def test_autoescape_off(folder):
    page = MakoEngine([str(folder)], autoescape=False).render("page.html", PAGE)
    assert "<p><script>alert(1)</script></p>" in page


def test_options_reach_the_lookup(folder):
    engine = MakoEngine([str(folder)], strict_undefined=True)
    with pytest.raises(TemplateError) as info:
        engine.render("partials/greeting.html", {})
    assert "NameError" in info.value.message
    assert info.value.filename == str(folder / "partials" / "greeting.html")


def test_missing_template_names_it_and_the_directories(engine, folder):
    with pytest.raises(TemplateNotFound) as info:
        engine.render("absent.html", {})
    assert info.value.name == "absent.html"
    assert info.value.searched == [str(folder)]


def test_missing_include_names_the_included_template(engine):
    with pytest.raises(TemplateNotFound) as info:
        engine.render("include_missing.html", {})
    assert info.value.name == "nowhere.html"


def test_syntax_error_names_file_and_line(engine, folder):
    with pytest.raises(TemplateError) as info:
        engine.render("syntax.html", {})
    assert info.value.filename == str(folder / "syntax.html")
    assert info.value.lineno == 2
    assert info.value.message == "Unterminated control keyword: 'if'"


def test_runtime_error_names_the_file_and_line_it_happened_in(engine, folder):
    with pytest.raises(TemplateError) as info:
        engine.render("runtime_child.html", {"zero": 0})
    assert info.value.name == "runtime_child.html"
    assert info.value.filename == str(folder / "runtime_base.html")
    assert info.value.lineno == 2
    assert "ZeroDivisionError" in info.value.message


def test_compiled_templates_are_cached(engine):
    first = engine.lookup.get_template("page.html")
    engine.render("page.html", PAGE)
    assert engine.lookup.get_template("page.html") is first


def test_http_redirect_from_a_template_passes_through(engine):
    def go():
        raise cherrypit.HTTPRedirect("/elsewhere")

    with pytest.raises(cherrypit.HTTPRedirect):
        engine.render("redirect.html", {"go": go})


# --- through the tool, served by the in-process client ---------------------------------


class Root:
    @cherrypit.expose
    @cherrypit.tools.template("page.html")
    def index(self):
        return dict(PAGE)

    @cherrypit.expose
    @cherrypit.tools.template("page.html")
    def plain(self):
        return "not a dict"

    @cherrypit.expose
    @cherrypit.tools.template("context.html")
    def context(self):
        return {}

    @cherrypit.expose
    @cherrypit.tools.template("absent.html")
    def missing(self):
        return {}

    @cherrypit.expose
    @cherrypit.tools.template("runtime_child.html")
    def failing(self):
        return {"zero": 0}


def serve(folder, **extra):
    conf = {
        "tools.template.engine": "mako",
        "tools.template.root": str(folder.parent),
        "tools.template.directories": folder.name,
    }
    conf.update(extra)
    cherrypit.tree.mount(Root(), "", {"/": conf})
    return Client()


def test_app_renders_pages(site_reset, folder):
    r = serve(folder).get("/")
    assert r.status == 200
    assert "<title>Welcome</title>" in r.text
    assert "&lt;script&gt;" in r.text and "<script>" not in r.text


def test_app_autoescape_off_by_config(site_reset, folder):
    r = serve(folder, **{"tools.template.autoescape": False}).get("/")
    assert "<p><script>alert(1)</script></p>" in r.text


def test_app_non_dict_passes_through(site_reset, folder):
    assert serve(folder).get("/plain").text == "not a dict"


def test_app_context_has_request_and_url(site_reset, folder):
    r = serve(folder).get("/context")
    assert r.text == "/context|GET|http://127.0.0.1:8080/a"


def test_app_missing_template_is_logged(site_reset, folder, error_log):
    r = serve(folder).get("/missing")
    assert r.status == 500
    log = error_log.text()
    assert "template 'absent.html' not found" in log
    assert str(folder) in log


def test_app_runtime_error_is_logged_with_file_and_line(site_reset, folder, error_log):
    r = serve(folder).get("/failing")
    assert r.status == 500
    assert "runtime" not in r.text
    expected = f"template 'runtime_child.html' ({folder / 'runtime_base.html'}, line 2)"
    assert expected in error_log.text()


def test_development_page_shows_template_and_line(site_reset, folder, error_log):
    r = serve(folder, **{"request.show_tracebacks": True}).get("/failing")
    assert r.status == 500
    assert "error in template 'runtime_child.html'" in r.text
    assert "line 2" in r.text
