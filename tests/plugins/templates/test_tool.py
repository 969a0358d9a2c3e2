"""tools.template and render(), driven by an engine registered in code (no entry point)."""

from __future__ import annotations

import pytest

import cherrypit
import cherrypit_templates
from cherrypit._kernel.request import Request, Response
from cherrypit_templates import TemplateTool, render


@pytest.fixture
def templates(tmp_path):
    folder = tmp_path / "views"
    folder.mkdir()
    (folder / "hello.txt").write_text("Hello $who!", encoding="utf-8")
    (folder / "other.txt").write_text("Other $who.", encoding="utf-8")
    return tmp_path


def config(root, **extra):
    conf = {
        "tools.template.engine": "dollar",
        "tools.template.root": str(root),
        "tools.template.directories": ["views"],
    }
    conf.update(extra)
    return {"/": conf}


class Root:
    @cherrypit.expose
    @cherrypit.tools.template("hello.txt")
    def positional(self):
        return {"who": "world"}

    @cherrypit.expose
    @cherrypit.tools.template(name="hello.txt")
    def keyword(self, who="you"):
        return {"who": who}

    @cherrypit.expose
    @cherrypit.tools.template(name="hello.txt")
    def text(self):
        return "not a dict"

    @cherrypit.expose
    @cherrypit.tools.template(name="hello.txt")
    def escaped(self):
        return {"who": "<script>alert(1)</script>"}

    @cherrypit.expose
    @cherrypit.tools.template(name="missing.txt")
    def missing(self):
        return {"who": "nobody"}

    @cherrypit.expose
    def configured(self):
        return {"who": "config"}

    @cherrypit.expose
    @render("other.txt")
    def decorated(self):
        return {"who": "render"}

    @cherrypit.expose
    @render("other.txt")
    def decorated_text(self):
        return b"raw bytes"

    @cherrypit.expose
    @cherrypit.tools.template(name="hello.txt")
    def with_session(self):
        cherrypit.serving.session = {"user": "ann"}
        return {"who": "session"}


def test_tool_is_registered_with_its_point_and_priority(site_reset):
    tool = cherrypit.tools.template
    assert isinstance(tool, TemplateTool)
    point, _, priority, kwargs = tool._attachments({"name": "x"})[0]
    assert (point, priority, kwargs) == ("before_handler", 50, {})


def test_decorator_with_positional_name(dollar, templates, mount):
    client = mount(Root(), config(templates))
    r = client.get("/positional")
    assert (r.status, r.text) == (200, "Hello world!")


def test_decorator_with_keyword_name_and_params(dollar, templates, mount):
    client = mount(Root(), config(templates))
    assert client.get("/keyword", query={"who": "Ann"}).text == "Hello Ann!"


def test_non_dict_results_pass_through(dollar, templates, mount):
    client = mount(Root(), config(templates))
    assert client.get("/text").text == "not a dict"
    assert client.get("/decorated_text").body == b"raw bytes"


def test_tool_switched_on_by_config(dollar, templates, mount):
    conf = config(templates)
    conf["/configured"] = {"tools.template.on": True, "tools.template.name": "other.txt"}
    client = mount(Root(), conf)
    assert client.get("/configured").text == "Other config."


def test_render_decorator_takes_settings_from_config(dollar, templates, mount):
    client = mount(Root(), config(templates))
    assert client.get("/decorated").text == "Other render."


def test_render_decorator_arguments_override_config(dollar, templates, mount, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "page.txt").write_text("Elsewhere: $who", encoding="utf-8")

    class App:
        @cherrypit.expose
        @render("page.txt", engine="dollar", directories=[str(elsewhere)], autoescape=False)
        def index(self):
            return {"who": "<b>"}

    client = mount(App())
    assert client.get("/").text == "Elsewhere: <b>"


def test_render_is_reachable_at_the_lib_path(site_reset):
    from cherrypit.lib import templates

    assert templates.render is cherrypit_templates.render
    assert templates.TemplateNotFound is cherrypit_templates.TemplateNotFound


def test_autoescape_is_on_by_default_and_off_by_config(dollar, templates, mount):
    client = mount(Root(), config(templates))
    assert client.get("/escaped").text == "Hello &lt;script&gt;alert(1)&lt;/script&gt;!"
    client = mount(Root(), config(templates, **{"tools.template.autoescape": False}))
    assert client.get("/escaped").text == "Hello <script>alert(1)</script>!"


def test_engine_gets_absolute_directories_and_options(dollar, templates, mount):
    conf = config(templates, **{"tools.template.options": {"flavour": "plain"}})
    conf["/"]["tools.template.directories"] = ["views", str(templates)]
    client = mount(Root(), conf)
    client.get("/positional")
    engine = dollar.built[-1]
    assert engine.directories == [str(templates / "views"), str(templates)]
    assert engine.options == {"flavour": "plain"}
    assert engine.autoescape is True


def test_one_engine_instance_serves_every_request(dollar, templates, mount):
    client = mount(Root(), config(templates))
    for path in ("/positional", "/keyword", "/positional", "/decorated"):
        assert client.get(path).status == 200
    assert len(dollar.built) == 1


def test_context_has_request_response_url_and_session(dollar, templates, mount):
    client = mount(Root(), config(templates))
    client.get("/positional")
    context = dollar.built[-1].last_context
    assert isinstance(context["request"], Request)
    assert context["request"].path_info == "/positional"
    assert isinstance(context["response"], Response)
    assert context["url"] is cherrypit.url
    assert "session" not in context
    client.get("/with_session")
    assert dollar.built[-1].last_context["session"] == {"user": "ann"}


def test_missing_template_is_a_logged_500(dollar, templates, mount, error_log):
    client = mount(Root(), config(templates))
    r = client.get("/missing")
    assert r.status == 500
    assert "missing.txt" not in r.text  # production: no details on the page
    assert "template 'missing.txt' not found" in error_log.text()
    assert str(templates / "views") in error_log.text()


def test_development_page_names_the_missing_template(dollar, templates, mount, error_log):
    client = mount(Root(), config(templates, **{"request.show_tracebacks": True}))
    r = client.get("/missing")
    assert r.status == 500
    assert "template 'missing.txt' not found" in r.text


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("tools.template.directories", ["rel"], "'rel' is relative"),
        ("tools.template.root", "relative/root", "must be an absolute path"),
        ("tools.template.engine", "nosuch", "no template engine named 'nosuch'"),
        ("tools.template.directory", ["x"], "did you mean 'directories'"),
        ("tools.template.options", ["not", "a", "dict"], "must be a dict"),
    ],
)
def test_bad_settings_are_logged_500s(
    dollar, templates, mount, error_log, setting, value, expected
):
    conf = config(templates)
    if setting == "tools.template.directories":
        del conf["/"]["tools.template.root"]
    conf["/"][setting] = value
    client = mount(Root(), conf)
    r = client.get("/positional")
    assert r.status == 500
    assert expected in error_log.text()


def test_no_directories_is_reported(dollar, mount, error_log):
    client = mount(Root(), {"/": {"tools.template.engine": "dollar"}})
    assert client.get("/positional").status == 500
    assert "tools.template.directories is not set" in error_log.text()


def test_tool_on_without_a_name_is_reported(dollar, templates, mount, error_log):
    conf = config(templates)
    conf["/configured"] = {"tools.template.on": True}
    client = mount(Root(), conf)
    assert client.get("/configured").status == 500
    assert "tools.template.name is not set" in error_log.text()


def test_debug_logs_each_rendering(dollar, templates, mount, error_log):
    client = mount(Root(), config(templates, **{"tools.template.debug": True}))
    assert client.get("/positional").status == 200
    assert "Rendering 'hello.txt' with engine 'dollar'" in error_log.text()
