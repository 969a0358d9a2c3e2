"""tools.staticdir: sections, index files, match, content_types, methods, file names."""

from __future__ import annotations

from typing import Any

import pytest

import cherrypit


class Fallback:
    @cherrypit.expose
    def dynamic(self):
        return "dynamic handler"

    @cherrypit.expose
    def default(self, *args, **kwargs):
        return f"default {cherrypit.request.method} {'/'.join(args)}"


class Root:
    # Attributes some tests graft on.
    a: Any
    assets: Any
    files: Any

    def __init__(self) -> None:
        self.static = Fallback()

    @cherrypit.expose
    def index(self):
        return "root index"


def static_conf(tree, **extra):
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}
    conf.update({f"tools.staticdir.{k}": v for k, v in extra.items()})
    return conf


def test_serves_files_with_types_length_and_validators(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)})
    r = client.get("/static/style.css")
    assert r.status == 200
    assert r.body == (tree / "static" / "style.css").read_bytes()
    assert r.header("Content-Type") == "text/css"
    assert r.header("Content-Length") == str(len(r.body))
    assert r.header("Accept-Ranges") == "bytes"
    mtime = (tree / "static" / "style.css").stat().st_mtime
    from email.utils import formatdate

    assert r.header("Last-Modified") == formatdate(mtime, usegmt=True)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("data.json", "application/json"),
        ("notes.txt", "text/plain"),
        ("pixel.png", "image/png"),
        ("UPPER.TXT", "text/plain"),
        ("favicon.ico", "image/x-icon"),
        ("archive.gz", "application/x-gzip"),
        ("README", "text/html"),  # unknown: the response's default type stays
    ],
)
def test_content_type_by_extension(mount, tree, name, content_type):
    client = mount(Root(), {"/static": static_conf(tree)})
    r = client.get(f"/static/{name}")
    assert r.status == 200
    assert r.header("Content-Type") == content_type
    assert r.body == (tree / "static" / name).read_bytes()


def test_content_types_map_overrides_the_guess(mount, tree):
    conf = static_conf(tree, content_types={"txt": "text/x-custom", "json": "application/x-j"})
    client = mount(Root(), {"/typed": conf})
    assert client.get("/typed/notes.txt").header("Content-Type") == "text/x-custom"
    assert client.get("/typed/data.json").header("Content-Type") == "application/x-j"
    assert client.get("/typed/style.css").header("Content-Type") == "text/css"


def test_file_names_with_spaces_and_utf8(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)})
    r = client.get("/static/with%20space.txt")
    assert (r.status, r.body) == (200, b"a space\n")
    r = client.get("/static/r%C3%A9sum%C3%A9.txt")
    assert (r.status, r.body) == (200, b"accents\n")


def test_index_files_and_trailing_slash(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree, index="index.html")})
    r = client.get("/static/")
    assert (r.status, r.body) == (200, b"<h1>static index</h1>\n")
    assert r.header("Content-Type") == "text/html"
    # The directory's own URL without its slash is redirected (tools.trailing_slash).
    r = client.get("/static")
    assert r.status == 301
    assert r.header("Location") == "http://127.0.0.1:8080/static/"
    # A subdirectory's index is served under both forms, as CherryPy does.
    assert client.get("/static/sub/").body == b"sub index\n"
    assert client.get("/static/sub").body == b"sub index\n"
    assert client.get("/static/sub/page.html").body == b"sub page\n"


def test_directory_without_index_falls_through(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)})
    r = client.get("/static/sub/")
    assert (r.status, r.text) == (200, "default GET sub")


def test_missing_file_goes_to_the_handler(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)})
    assert client.get("/static/dynamic").text == "dynamic handler"
    assert client.get("/static/no/such.txt").text == "default GET no/such.txt"


def test_missing_file_without_handler_is_404(mount, tree):
    class Bare:
        @cherrypit.expose
        def index(self):
            return "bare"

    client = mount(Bare(), {"/static": static_conf(tree)})
    assert client.get("/static/missing.txt").status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_only_get_and_head_are_served(mount, tree, method):
    client = mount(Root(), {"/static": static_conf(tree)})
    r = client.request(method, "/static/style.css", body=b"")
    assert (r.status, r.text) == (200, f"default {method} style.css")
    assert r.header("Last-Modified") is None


def test_head_sends_the_headers_only(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)})
    get = client.get("/static/digits.txt")
    head = client.head("/static/digits.txt")
    assert head.status == 200 and head.body == b""
    for name in ("Content-Type", "Content-Length", "Last-Modified", "Accept-Ranges"):
        assert head.header(name) == get.header(name)


def test_match_limits_what_is_served(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree, match=r"\.css$")})
    assert client.get("/static/style.css").header("Content-Type") == "text/css"
    r = client.get("/static/notes.txt")
    assert r.text == "default GET notes.txt"


def test_relative_dir_uses_root(mount, tree):
    conf = {
        "tools.staticdir.on": True,
        "tools.staticdir.root": str(tree),
        "tools.staticdir.dir": "static",
    }
    client = mount(Root(), {"/static": conf})
    assert client.get("/static/notes.txt").body == b"Plain notes.\n"


def test_relative_dir_without_root_is_a_server_error(mount, tree):
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": "static"}
    client = mount(Root(), {"/static": conf})
    assert client.get("/static/notes.txt").status == 500


def test_home_directory_is_expanded(mount, tree, monkeypatch):
    monkeypatch.setenv("HOME", str(tree))
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": "~/static"}
    client = mount(Root(), {"/static": conf})
    assert client.get("/static/notes.txt").body == b"Plain notes.\n"


def test_section_under_a_script_name(mount, tree):
    client = mount(Root(), {"/static": static_conf(tree)}, script_name="/app")
    assert client.get("/app/static/notes.txt").body == b"Plain notes.\n"
    assert client.get("/app/static/sub/page.html").body == b"sub page\n"
    assert client.get("/static/notes.txt").status == 404


def test_section_on_a_nested_path(mount, tree):
    class Level:
        pass

    root = Root()
    root.a = Level()
    root.a.b = Level()
    client = mount(root, {"/a/b/files": static_conf(tree, index="index.html")})
    assert client.get("/a/b/files/notes.txt").body == b"Plain notes.\n"
    assert client.get("/a/b/files/sub/page.html").body == b"sub page\n"
    assert client.get("/a/b/files/").body == b"<h1>static index</h1>\n"
    assert client.get("/a/b/notes.txt").status == 404


def test_deeper_sections_inherit_the_static_section(mount, tree):
    conf = {"/static": static_conf(tree), "/static/sub": {"response.headers.X-Sub": "yes"}}
    client = mount(Root(), conf)
    r = client.get("/static/sub/page.html")
    assert (r.body, r.header("X-Sub")) == (b"sub page\n", "yes")


def test_section_at_the_root(mount, tree):
    class Empty:
        pass

    client = mount(Empty(), {"/": static_conf(tree, index="index.html")})
    assert client.get("/").body == b"<h1>static index</h1>\n"
    assert client.get("/sub/page.html").body == b"sub page\n"


def test_section_from_cp_config(mount, tree):
    class Assets:
        _cp_config = static_conf(tree)

    root = Root()
    root.assets = Assets()
    client = mount(root)
    assert client.get("/assets/style.css").header("Content-Type") == "text/css"


def test_global_section(mount, tree):
    class Empty:
        pass

    cherrypit.config.update(static_conf(tree))
    client = mount(Empty())
    assert client.get("/notes.txt").body == b"Plain notes.\n"


def test_handler_mounted_as_a_page(mount, tree):
    root = Root()
    tool = cherrypit.tools.staticdir
    assert isinstance(tool, cherrypit.HandlerTool)
    root.files = tool.handler(section="/files", dir=str(tree / "static"))
    client = mount(root)
    r = client.get("/files/sub/page.html")
    assert (r.status, r.body) == (200, b"sub page\n")
    assert client.get("/files/missing.txt").status == 404


def test_handler_without_section_says_so(mount, tree):
    root = Root()
    tool = cherrypit.tools.staticdir
    assert isinstance(tool, cherrypit.HandlerTool)
    root.files = tool.handler(dir=str(tree / "static"))
    client = mount(root)
    assert client.get("/files/notes.txt").status == 500


def test_staticdir_on_without_a_dir_fails_like_cherrypy(mount):
    # CherryPy's signature: section and dir are required, so a path that switches the
    # tool on without a dir answers 500 with the TypeError naming both.
    conf = {"tools.staticdir.on": True, "request.show_tracebacks": True}
    client = mount(Root(), {"/error": conf})
    r = client.get("/error/thing.html")
    assert r.status == 500
    assert "TypeError: staticdir() missing 2 required positional arguments" in r.text


def test_debug_logs_the_lookup(mount, tree, error_log):
    client = mount(Root(), {"/static": static_conf(tree, debug=True)})
    client.get("/static/notes.txt")
    client.post("/static/notes.txt", body=b"")
    text = error_log.text()
    assert "Looking up 'notes.txt'" in text
    assert "Content-Type: 'text/plain'" in text
    assert "request.method not GET or HEAD" in text
