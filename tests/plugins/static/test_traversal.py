"""Containment: no request path reaches a file outside the static directory.

CherryPy 18 served ``static-secret/secret.txt`` (a sibling directory sharing the
``static`` prefix) for several of these paths; cherrypit refuses them all with 403 or
404 and never answers 500.
"""

from __future__ import annotations

import os

import pytest

import cherrypit
from cherrypit import HTTPError, NotFound
from cherrypit_static.containment import locate

SECRET = b"top secret, never served\n"


class Root:
    @cherrypit.expose
    def index(self):
        return "root"


def serve_static(mount, directory, **extra):
    conf = {"tools.staticdir.on": True, "tools.staticdir.dir": str(directory)}
    conf.update({f"tools.staticdir.{k}": v for k, v in extra.items()})
    return mount(Root(), {"/static": conf})


# (request path as sent on the wire, expected status).  The in-process client decodes
# the path once, as a server does; ``%25`` therefore leaves a literal ``%`` behind.
ATTACKS = [
    ("/static/../static-secret/secret.txt", 403),  # sibling sharing the prefix
    ("/static/%2e%2e/static-secret/secret.txt", 403),
    ("/static/..%2fstatic-secret%2fsecret.txt", 403),
    ("/static/%2e%2e%2fstatic-secret%2fsecret.txt", 403),
    ("/static/../outside.txt", 403),
    ("/static/sub/../../outside.txt", 403),
    ("/static/sub/%2e%2e/%2e%2e/outside.txt", 403),
    ("/static/../../../../../../etc/passwd", 403),
    # Double encoding: decoded once, the rest is a literal name (or refused).
    ("/static/%252e%252e/static-secret/secret.txt", 404),
    ("/static/%252e%252e%252fstatic-secret%252fsecret.txt", 403),
    ("/static/..%252fstatic-secret%252fsecret.txt", 403),  # %2f kept by the server
    ("/static/..%255cstatic-secret%255csecret.txt", 403),
    ("/static/..%5cstatic-secret%5csecret.txt", 403),  # backslash
    ("/static/..\\static-secret\\secret.txt", 403),
    # The kernel folds "//" in the decoded path: the file is sought inside (and missing).
    ("/static/%2fetc%2fpasswd", 404),
    ("/static/notes.txt%00.png", 404),  # NUL byte
    ("/static/..%00/outside.txt", 404),
]


@pytest.mark.parametrize(("path", "status"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_escapes_are_refused(mount, tree, path, status):
    client = serve_static(mount, tree / "static")
    r = client.get(path)
    assert r.status == status
    assert SECRET not in r.body


@pytest.mark.parametrize(("path", "status"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_escapes_are_refused_for_head_too(mount, tree, path, status):
    client = serve_static(mount, tree / "static")
    assert client.head(path).status == status


def test_absolute_file_system_path_is_not_joined(mount, tree):
    client = serve_static(mount, tree / "static")
    # CherryPy 18 served the sibling's file for "/static/%2f<absolute path>".
    for prefix in ("/static", "/static/", "/static/%2f"):
        r = client.get(prefix + str(tree / "static-secret" / "secret.txt"))
        assert r.status == 404  # looked up *inside* the directory, where it is missing
        assert SECRET not in r.body


def test_dot_segments_that_stay_inside_are_fine(mount, tree):
    client = serve_static(mount, tree / "static")
    assert client.get("/static/sub/../notes.txt").body == b"Plain notes.\n"
    assert client.get("/static/./notes.txt").body == b"Plain notes.\n"
    assert client.get("/static/sub/./page.html").body == b"sub page\n"


def test_escape_through_the_index_name_is_refused(mount, tree):
    client = serve_static(mount, tree / "static", index="../outside.txt")
    assert client.get("/static/").status == 403


# --- symlinks -------------------------------------------------------------------------


@pytest.fixture
def links(tree):
    static = tree / "static"
    os.symlink(tree / "static-secret" / "secret.txt", static / "link-out.txt")
    os.symlink(tree / "static-secret", static / "link-dir")
    os.symlink(static / "notes.txt", static / "link-in.txt")
    os.symlink("sub", static / "link-sub")
    return tree


def test_symlinks_out_of_the_directory_are_refused_by_default(mount, links):
    client = serve_static(mount, links / "static")
    for path in ("/static/link-out.txt", "/static/link-dir/secret.txt"):
        r = client.get(path)
        assert r.status == 403
        assert SECRET not in r.body


def test_symlinks_inside_the_directory_are_followed(mount, links):
    client = serve_static(mount, links / "static")
    r = client.get("/static/link-in.txt")
    assert (r.status, r.body) == (200, b"Plain notes.\n")
    assert r.header("Content-Type") == "text/plain"
    assert client.get("/static/link-sub/page.html").body == b"sub page\n"


def test_follow_symlinks_restores_cherrypy_behaviour(mount, links):
    client = serve_static(mount, links / "static", follow_symlinks=True)
    assert client.get("/static/link-out.txt").body == SECRET
    assert client.get("/static/link-dir/secret.txt").body == SECRET
    # Following symlinks does not allow ".." out of the directory.
    assert client.get("/static/../static-secret/secret.txt").status == 403


def test_dot_dot_is_resolved_before_symlinks(mount, links):
    # "link-dir/../notes.txt" names static/notes.txt (URL semantics), not the
    # directory that holds the link target.
    client = serve_static(mount, links / "static")
    assert client.get("/static/link-dir/../notes.txt").body == b"Plain notes.\n"


def test_the_directory_itself_may_be_a_symlink(mount, tree):
    current = tree / "current"
    os.symlink(tree / "static", current)
    client = serve_static(mount, current)
    assert client.get("/static/notes.txt").body == b"Plain notes.\n"
    assert client.get("/static/../static-secret/secret.txt").status == 403


def test_a_re_pointed_directory_symlink_is_followed_at_once(mount, tree):
    # A deployment switches its "current" link between releases while serving.
    release = tree / "release-2"
    release.mkdir()
    (release / "notes.txt").write_bytes(b"Release two.\n")
    current = tree / "current"
    os.symlink(tree / "static", current)
    client = serve_static(mount, current)
    assert client.get("/static/notes.txt").body == b"Plain notes.\n"
    os.symlink(release, tree / "next")
    os.replace(tree / "next", current)
    assert client.get("/static/notes.txt").body == b"Release two.\n"
    assert client.get("/static/sub/page.html").status == 404
    # The boundary moved with the link: the old release is outside it now.
    assert client.get("/static/../static/notes.txt").status == 403


def test_a_symlink_loop_is_not_found(mount, tree):
    static = tree / "static"
    os.symlink(static / "loop-b", static / "loop-a")
    os.symlink(static / "loop-a", static / "loop-b")
    client = serve_static(mount, static)
    assert client.get("/static/loop-a").status in (403, 404)


# --- the containment function itself --------------------------------------------------


def test_locate_results(tree):
    static = str(tree / "static")
    found = locate(static, "sub/page.html")
    assert found.real == found.asked == os.path.join(static, "sub", "page.html")
    assert locate(static, "").real == static


@pytest.mark.parametrize(
    "branch",
    ["/etc/passwd", "../x", "a/../../x", "..\\x", "a%2Fb", "a%5Cb", "..%2f", "../static-secret/x"],
)
def test_locate_forbids(tree, branch):
    with pytest.raises(HTTPError) as info:
        locate(str(tree / "static"), branch)
    assert info.value.code == 403


@pytest.mark.parametrize("branch", ["a\x00b", "\x00", "x" * 5000 + "/y"])
def test_locate_not_found(tree, branch):
    try:
        found = locate(str(tree / "static"), branch)
    except NotFound:
        return
    # Very long names may still resolve lexically; opening them then fails (404).
    assert not os.path.exists(found.real)


def test_real_path_below_the_directory_agrees_with_realpath(tmp_path):
    """The lstat walk below the static directory finds what os.path.realpath finds."""

    from cherrypit_static.containment import _real_below

    base = tmp_path / "root"
    (base / "sub" / "deeper").mkdir(parents=True)
    (base / "sub" / "deeper" / "f.txt").write_text("x")
    (base / "plain.txt").write_text("y")
    (base / "link.txt").symlink_to(base / "plain.txt")
    (base / "dirlink").symlink_to(base / "sub")
    (base / "outside").symlink_to(tmp_path)
    (base / "dangling").symlink_to(base / "nowhere")
    (base / "loop").symlink_to(base / "loop")
    real_base = os.path.realpath(base)
    for rel in [
        "plain.txt",
        "sub/deeper/f.txt",
        "link.txt",
        "dirlink/deeper/f.txt",
        "outside",
        "dangling",
        "loop",
        "missing/also-missing.txt",
        "plain.txt/not-a-dir",
        "sub",
    ]:
        asked = os.path.normpath(os.path.join(real_base, rel))
        assert _real_below(real_base, asked) == os.path.realpath(asked), rel
