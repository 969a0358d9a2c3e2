"""The demo site (examples/demo) served in-process: every feature it shows, checked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cherrypit.testing import Client

# The examples live at the repository root, which is not an installed source root.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from examples.demo import app as demo  # noqa: E402


@pytest.fixture
def client(site_reset: None) -> Iterator[Client]:
    """A fresh demo (its own state) mounted with site.conf on a fresh site."""
    demo.mount()
    yield Client()


# --- object dispatch ----------------------------------------------------------------------


def test_home_page_links_every_section(client: Client) -> None:
    r = client.get("/")
    assert r.status == 200
    assert r.headers["content-type"] == "text/html;charset=utf-8"
    for href in ("/about/", "/blog/2024/05", "/users/alice/posts", "/contact/", "/api/notes"):
        assert f'href="{href}"' in r.text


def test_nested_object_index_and_page(client: Client) -> None:
    assert "This demo shows" in client.get("/about/").text
    r = client.get("/about/team")
    assert r.status == 200
    assert "<h1>The team</h1>" in r.text


def test_positional_arguments_pick_the_month(client: Client) -> None:
    r = client.get("/blog/2024/05")
    assert r.status == 200
    assert "<h1>May 2024</h1>" in r.text
    assert "Object dispatch in five minutes" in r.text
    assert "Tools are just hooks" not in r.text


def test_positional_arguments_year_only_and_empty_period(client: Client) -> None:
    year = client.get("/blog/2024")
    assert "Object dispatch in five minutes" in year.text
    assert "Tools are just hooks" in year.text
    assert "No posts in this period" in client.get("/blog/2023/02").text


@pytest.mark.parametrize("path", ["/blog/2024/13", "/blog/twenty/05", "/blog/2024/05/extra"])
def test_bad_blog_paths_are_not_found(client: Client, path: str) -> None:
    assert client.get(path).status == 404


def test_popargs_username_reaches_index_and_nested_page(client: Client) -> None:
    profile = client.get("/users/alice/")
    assert profile.status == 200
    assert "<h1>Alice Liddell</h1>" in profile.text
    posts = client.get("/users/alice/posts")
    assert posts.status == 200
    assert "Posts by Alice Liddell" in posts.text
    assert "Down the rabbit hole" in posts.text


def test_popargs_without_username_lists_users(client: Client) -> None:
    r = client.get("/users/")
    assert 'href="/users/alice/"' in r.text and 'href="/users/bob/"' in r.text


def test_unknown_user_is_not_found(client: Client) -> None:
    assert client.get("/users/zed/").status == 404


# --- config from site.conf ----------------------------------------------------------------


def test_trailing_slash_added_to_folders(client: Client) -> None:
    r = client.get("/about")
    assert r.status == 301
    assert r.header("Location") == "http://127.0.0.1:8080/about/"


def test_trailing_slash_removed_from_pages(client: Client) -> None:
    r = client.get("/about/team/")
    assert r.status == 301
    assert r.header("Location") == "http://127.0.0.1:8080/about/team"


def test_header_set_for_one_path_only(client: Client) -> None:
    blog = client.get("/blog/")
    assert blog.header("X-Demo-Section") == "blog"
    assert blog.header("Cache-Control") == "public, max-age=60"
    home = client.get("/")
    assert home.header("X-Demo-Section") is None
    # ... while the [/] header applies everywhere below the root.
    assert home.header("X-Content-Type-Options") == "nosniff"
    assert blog.header("X-Content-Type-Options") == "nosniff"


# --- the form -----------------------------------------------------------------------------


def test_form_get_shows_empty_form(client: Client) -> None:
    r = client.get("/contact/")
    assert r.status == 200
    assert '<form method="post" action="/contact/">' in r.text
    assert 'class="error"' not in r.text
    assert r.header("Cache-Control") == "no-store"


def test_form_missing_fields_rerender_with_errors(client: Client) -> None:
    r = client.post("/contact/", data={"name": "", "email": "", "message": ""})
    assert r.status == 400
    assert "Please tell us your name." in r.text
    assert "does not look like an e-mail address" in r.text
    assert "The message is empty." in r.text


def test_form_errors_escape_user_input(client: Client) -> None:
    r = client.post(
        "/contact/",
        data={"name": '<b onclick="x">', "email": "<script>alert(1)</script>", "message": "hi"},
    )
    assert r.status == 400
    assert "<script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    # The valid fields keep their (escaped) values in the re-rendered form.
    assert 'value="&lt;b onclick=&quot;x&quot;&gt;"' in r.text
    assert "Please tell us your name." not in r.text


def test_form_too_long_name_is_rejected(client: Client) -> None:
    r = client.post("/contact/", data={"name": "x" * 81, "email": "a@b.cd", "message": "hi"})
    assert r.status == 400
    assert "longer than 80 characters" in r.text


def test_form_success_redirects_with_303(client: Client) -> None:
    r = client.post("/contact/", data={"name": "Ann", "email": "ann@example.org", "message": "hi"})
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/contact/thanks"
    assert "Your message was received." in client.get("/contact/thanks").text


def test_validate_contact_accepts_good_input() -> None:
    assert demo.validate_contact("Ann", "ann@example.org", "hello") == {}
    assert set(demo.validate_contact(" ", "no-at-sign", " ")) == {"name", "email", "message"}


# --- REST ---------------------------------------------------------------------------------


def test_rest_list_and_item(client: Client) -> None:
    r = client.get("/api/notes")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"notes": [{"id": 1, "text": "Try the demo"}]}
    assert client.get("/api/notes/1").json() == {"id": 1, "text": "Try the demo"}


def test_rest_create_update_delete(client: Client) -> None:
    created = client.post("/api/notes", json={"text": "buy milk"})
    assert created.status == 201
    assert created.json() == {"id": 2, "text": "buy milk"}
    assert created.header("Location") == "http://127.0.0.1:8080/api/notes/2"

    updated = client.put("/api/notes/2", json={"text": "buy oat milk"})
    assert updated.status == 200
    assert updated.json() == {"id": 2, "text": "buy oat milk"}

    assert client.delete("/api/notes/2").json() == {"deleted": 2}
    assert [n["id"] for n in client.get("/api/notes").json()["notes"]] == [1]


def test_rest_missing_note_answers_json_404(client: Client) -> None:
    r = client.get("/api/notes/99")
    assert r.status == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "404 Not Found", "error": "No note with id '99'."}


def test_rest_invalid_body_answers_json_400(client: Client) -> None:
    r = client.post("/api/notes", json={"title": "no text"})
    assert r.status == 400
    assert r.json()["error"] == 'Send a JSON object like {"text": "..."}.'


def test_rest_unsupported_method_is_405_with_allow(client: Client) -> None:
    r = client.patch("/api/notes/1", json={"text": "x"})
    assert r.status == 405
    assert r.header("Allow") == "DELETE, GET, HEAD, POST, PUT"
    assert r.json()["status"] == "405 Method Not Allowed"


# --- error pages --------------------------------------------------------------------------


def test_not_found_page_is_the_friendly_one(client: Client) -> None:
    r = client.get("/nowhere")
    assert r.status == 404
    assert r.headers["content-type"] == "text/html;charset=utf-8"
    assert "<h1>Page not found</h1>" in r.text
    assert "The path '/nowhere' was not found." in r.text


def test_not_found_page_escapes_the_path(client: Client) -> None:
    r = client.get("/<script>x</script>")
    assert r.status == 404
    assert "<script>" not in r.text
    assert "&lt;script&gt;" in r.text


def test_server_error_page_hides_internals(client: Client) -> None:
    r = client.get("/boom")
    assert r.status == 500
    assert "<h1>Server error</h1>" in r.text
    assert "RuntimeError" not in r.text
    assert "fails on purpose" not in r.text


def test_module_root_is_mountable(site_reset: None) -> None:
    # ``cherrypit run examples.demo.app:root`` mounts the module-level instance.
    import cherrypit

    cherrypit.tree.mount(demo.root, "", str(demo.CONFIG_PATH))
    assert Client().get("/about/team").status == 200
