"""The demo application over HTTP: the real ``python -m examples.demo`` on a free port."""

from __future__ import annotations

import base64
import json
import re
import socket
import sqlite3
from pathlib import Path

import pytest

from tests.examples.conftest import DemoServer, WebClient

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def note_id_of(location: str | None) -> int:
    assert location is not None
    found = re.search(r"/notes/(\d+)/$", location)
    assert found, location
    return int(found.group(1))


def test_start_prints_the_url_and_creates_the_database(demo: DemoServer) -> None:
    assert f"cherrypit demo serving on {demo.url}" in demo.log()
    db = demo.data_dir / "notes.sqlite3"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "notes"} <= tables


def test_sign_up_rotates_the_session_id_and_hashes_the_password(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    form = client.get("/signup")
    assert form.status == 200
    anonymous_id = client.cookies["notes_session"]
    answer = client.post(
        "/signup",
        {
            "csrf_token": form.csrf_token(),
            "username": "ann",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert answer.status == 303
    assert answer.header("Location") == f"{demo.url}notes/"
    logged_in_id = client.cookies["notes_session"]
    assert logged_in_id != anonymous_id
    cookie = answer.header("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    page = client.get("/notes/")
    assert page.status == 200
    assert "Welcome, ann!" in page.text
    # The id the visitor had before logging in opens nothing any more.
    stale = WebClient(demo.port, {"notes_session": anonymous_id}).get("/notes/")
    assert stale.status == 303

    with sqlite3.connect(demo.data_dir / "notes.sqlite3") as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE username='ann'").fetchone()
    assert stored.startswith("scrypt$") and PASSWORD not in stored


def test_sign_up_validation_rerenders_the_form_escaped(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    token = client.get("/signup").csrf_token()
    answer = client.post(
        "/signup",
        {"csrf_token": token, "username": "<b>x", "password": "short", "confirm": "short"},
    )
    assert answer.status == 400
    assert "Use 3 to 32 letters" in answer.text
    assert "Use at least 8 characters." in answer.text
    assert 'value="&lt;b&gt;x"' in answer.text and "<b>x" not in answer.text

    assert client.sign_up("bea").status == 303
    other = WebClient(demo.port)
    taken = other.sign_up("BEA")
    assert taken.status == 400
    assert "That name is taken" in taken.text


def test_forms_without_the_csrf_token_are_refused(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    client.get("/signup")
    data = {"username": "cat", "password": PASSWORD, "confirm": PASSWORD}
    missing = client.post("/signup", data)
    assert missing.status == 403
    assert "was not sent from this site" in missing.text
    assert "<h1>Not allowed</h1>" in missing.text
    forged = client.post("/signup", {**data, "csrf_token": "x" * 43})
    assert forged.status == 403
    # A token from another visitor's session does not work either.
    stranger = WebClient(demo.port).get("/signup").csrf_token()
    assert client.post("/signup", {**data, "csrf_token": stranger}).status == 403


def test_login_logout_and_the_next_parameter(demo: DemoServer) -> None:
    WebClient(demo.port).sign_up("dan")
    client = WebClient(demo.port)
    gate = client.get("/notes/new")
    assert gate.status == 303
    assert gate.header("Location") == f"{demo.url}login?next=%2Fnotes%2Fnew"

    page = client.get("/login?next=%2Fnotes%2Fnew")
    wrong = client.post(
        "/login",
        {"csrf_token": page.csrf_token(), "username": "dan", "password": "nope", "next": "/x"},
    )
    assert wrong.status == 400
    assert "Wrong user name or password." in wrong.text

    before = client.cookies["notes_session"]
    right = client.post(
        "/login",
        {
            "csrf_token": wrong.csrf_token(),
            "username": "dan",
            "password": PASSWORD,
            "next": "/notes/new",
        },
    )
    assert right.status == 303
    assert right.header("Location") == f"{demo.url}notes/new"
    assert client.cookies["notes_session"] != before
    assert client.get("/notes/new").status == 200

    out = client.post("/logout", {"csrf_token": client.get("/notes/").csrf_token()})
    assert out.status == 303
    assert "notes_session" not in client.cookies
    assert client.get("/notes/").status == 303
    assert client.get("/logout").status == 405


def test_login_never_redirects_to_another_site(demo: DemoServer) -> None:
    WebClient(demo.port).sign_up("eve")
    client = WebClient(demo.port)
    token = client.get("/login").csrf_token()
    answer = client.post(
        "/login",
        {"csrf_token": token, "username": "eve", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert answer.status == 303
    assert answer.header("Location") == f"{demo.url}notes/"


def test_notes_create_edit_upload_download_delete(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    client.sign_up("fay")
    token = client.get("/notes/new").csrf_token()

    invalid = client.post_multipart("/notes/new", {"csrf_token": token, "title": " "}, {})
    assert invalid.status == 400
    assert "Give the note a title." in invalid.text

    uploads = demo.data_dir / "uploads"
    before = set(uploads.iterdir())
    content = bytes(range(256)) * 40
    created = client.post_multipart(
        "/notes/new",
        {"csrf_token": token, "title": "Trip <plans>", "body": "Pack & go"},
        {"attachment": ("tickets.bin", "application/octet-stream", content)},
    )
    assert created.status == 303
    note_id = note_id_of(created.header("Location"))
    page = client.get(f"/notes/{note_id}/")
    assert page.status == 200
    assert "<h1>Trip &lt;plans&gt;</h1>" in page.text
    assert "Pack &amp; go" in page.text
    assert "tickets.bin" in page.text

    download = client.get(f"/notes/{note_id}/attachment")
    assert download.status == 200
    assert download.body == content
    assert download.header("Content-Disposition") == 'attachment; filename="tickets.bin"'
    (stored,) = set(uploads.iterdir()) - before
    assert stored.read_bytes() == content

    edited = client.post_multipart(
        f"/notes/{note_id}/edit",
        {"csrf_token": token, "title": "Trip", "body": "Pack", "remove_attachment": "1"},
        {"attachment": ("", "application/octet-stream", b"")},
    )
    assert edited.status == 303
    page = client.get(f"/notes/{note_id}/")
    assert "<h1>Trip</h1>" in page.text and "tickets.bin" not in page.text
    assert client.get(f"/notes/{note_id}/attachment").status == 404
    assert not stored.exists()

    assert client.get(f"/notes/{note_id}/delete").status == 405
    deleted = client.post(f"/notes/{note_id}/delete", {"csrf_token": token})
    assert deleted.status == 303
    assert deleted.header("Location") == f"{demo.url}notes/"
    listing = client.get("/notes/")
    assert "Deleted “Trip”." in listing.text
    assert "No notes yet" in listing.text
    assert client.get(f"/notes/{note_id}/").status == 404


def test_an_oversized_upload_is_a_form_error(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    client.sign_up("gus")
    token = client.get("/notes/new").csrf_token()
    answer = client.post_multipart(
        "/notes/new",
        {"csrf_token": token, "title": "Big"},
        {"attachment": ("big.bin", "application/octet-stream", b"x" * (2 * 1024 * 1024 + 1))},
    )
    assert answer.status == 400
    assert "at most 2 MiB" in answer.text


def test_notes_are_private(demo: DemoServer) -> None:
    owner = WebClient(demo.port)
    owner.sign_up("hal")
    token = owner.get("/notes/new").csrf_token()
    note_id = note_id_of(
        owner.post_multipart("/notes/new", {"csrf_token": token, "title": "Secret"}, {}).header(
            "Location"
        )
    )
    intruder = WebClient(demo.port)
    intruder.sign_up("ivy")
    other_token = intruder.get("/notes/").csrf_token()
    assert intruder.get(f"/notes/{note_id}/").status == 404
    assert intruder.get(f"/notes/{note_id}/edit").status == 404
    assert intruder.post(f"/notes/{note_id}/delete", {"csrf_token": other_token}).status == 404
    assert "Secret" in owner.get(f"/notes/{note_id}/").text


def test_rest_api_crud_with_json_errors(demo: DemoServer) -> None:
    WebClient(demo.port).sign_up("joe")
    api = WebClient(demo.port)
    anonymous = api.get("/api/notes")
    assert anonymous.status == 401
    assert anonymous.header("WWW-Authenticate") == 'Basic realm="cherrypit notes", charset="UTF-8"'
    assert anonymous.header("Content-Type") == "application/json"
    assert anonymous.json()["status"] == 401
    assert api.get("/api/notes", basic("joe", "wrong")).status == 401

    auth = basic("joe")
    json_headers = {**auth, "Content-Type": "application/json"}
    created = api.request(
        "POST",
        "/api/notes",
        json.dumps({"title": "From curl", "body": "hi"}).encode(),
        json_headers,
    )
    assert created.status == 201
    note = created.json()
    assert note["title"] == "From curl" and note["attachment"] is None
    assert created.header("Location") == f"{demo.url}api/notes/{note['id']}"

    listing = api.get("/api/notes", auth).json()
    assert [n["id"] for n in listing["notes"]] == [note["id"]]
    updated = api.request(
        "PUT", f"/api/notes/{note['id']}", json.dumps({"body": "changed"}).encode(), json_headers
    )
    assert updated.status == 200
    assert updated.json()["body"] == "changed" and updated.json()["title"] == "From curl"

    bad = api.request("POST", "/api/notes", json.dumps({"title": ""}).encode(), json_headers)
    assert (bad.status, bad.json()["error"]) == (400, "Give the note a title.")
    unknown = api.request("POST", "/api/notes", b'{"titel": "x"}', json_headers)
    assert unknown.json() == {
        "status": 400,
        "error": "Unknown field 'titel'; notes have title and body.",
    }
    form = api.request("POST", "/api/notes", b"title=x", {**auth, "Content-Type": "text/plain"})
    assert form.status == 415
    assert form.header("Content-Type") == "application/json"
    missing = api.get("/api/notes/999", auth)
    assert missing.json() == {"status": 404, "error": "No note with id '999'."}
    wrong_method = api.request("PATCH", f"/api/notes/{note['id']}", b"{}", json_headers)
    assert wrong_method.status == 405
    assert wrong_method.json()["status"] == 405

    assert api.request("DELETE", f"/api/notes/{note['id']}", headers=auth).status == 204
    assert api.get("/api/notes", auth).json() == {"notes": []}
    # The API sets no session cookie.
    assert api.cookies == {}


def test_static_files_are_cacheable_and_sessionless(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    css = client.get("/static/css/site.css")
    assert css.status == 200
    assert css.header("Content-Type") == "text/css"
    assert css.header("Cache-Control") == "public, max-age=86400"
    assert css.header("Expires") is not None
    last_modified = css.header("Last-Modified")
    assert last_modified is not None
    assert css.header("Set-Cookie") is None
    again = client.get("/static/css/site.css", {"If-Modified-Since": last_modified})
    assert again.status == 304
    logo = client.get("/static/img/logo.svg")
    assert (logo.status, logo.header("Content-Type")) == (200, "image/svg+xml")
    assert client.get("/static/js/site.js").status == 200
    assert client.get("/static/../site.conf").status in (403, 404)


def test_pages_carry_security_headers(demo: DemoServer) -> None:
    page = WebClient(demo.port).get("/")
    assert page.status == 200
    assert page.header("Cache-Control") == "no-store"
    assert page.header("X-Frame-Options") == "DENY"
    assert "default-src 'self'" in (page.header("Content-Security-Policy") or "")
    assert page.header("X-Content-Type-Options") == "nosniff"


def test_error_pages_are_pages_of_the_site(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    missing = client.get("/no/such/<page>")
    assert missing.status == 404
    assert missing.header("Content-Type") == "text/html;charset=utf-8"
    assert "<h1>Page not found</h1>" in missing.text
    assert 'href="/static/css/site.css"' in missing.text or "/static/css/site.css" in missing.text
    assert "<page>" not in missing.text


def test_a_server_error_shows_no_internals_and_is_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = DemoServer(data, tmp_path / "demo.log")
    try:
        client = WebClient(server.port)
        token = client.get("/signup").csrf_token()
        # Break the storage under the running server: the database becomes a directory.
        db = data / "notes.sqlite3"
        db.unlink()
        db.mkdir()
        answer = client.post(
            "/signup",
            {"csrf_token": token, "username": "kim", "password": PASSWORD, "confirm": PASSWORD},
        )
        assert answer.status == 500
        assert "<h1>Something went wrong</h1>" in answer.text
        assert "Traceback" not in answer.text and "sqlite" not in answer.text.lower()
        assert "sqlite3.OperationalError" in server.log()
    finally:
        server.stop()


def test_json_logs_carry_the_request_and_the_user(tmp_path: Path) -> None:
    server = DemoServer(tmp_path / "data", tmp_path / "demo.log", {"DEMO_LOG_FORMAT": "json"})
    try:
        client = WebClient(server.port)
        client.sign_up("lou")
        token = client.get("/notes/new").csrf_token()
        client.post_multipart("/notes/new", {"csrf_token": token, "title": "Logged"}, {})
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    created = [line for line in lines if line.get("event") == "note created"]
    assert len(created) == 1
    assert created[0]["user"] == "lou"
    assert created[0]["logger"] == "demo"
    assert created[0]["path"] == "/notes/new"
    assert created[0]["request_id"]
    access = [
        line for line in lines if line.get("status") == 303 and line.get("path") == "/notes/new"
    ]
    assert access and access[0]["request_id"] == created[0]["request_id"]


def test_data_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = DemoServer(data, tmp_path / "first.log")
    try:
        client = WebClient(first.port)
        client.sign_up("max")
        token = client.get("/notes/new").csrf_token()
        client.post_multipart("/notes/new", {"csrf_token": token, "title": "Kept"}, {})
    finally:
        first.stop()
    second = DemoServer(data, tmp_path / "second.log")
    try:
        # Same session cookie, new process: the file sessions and the database were kept.
        client.port = second.port
        assert "Kept" in client.get("/notes/").text
    finally:
        second.stop()


def test_a_far_too_large_body_is_refused_before_it_is_read(demo: DemoServer) -> None:
    client = WebClient(demo.port)
    client.sign_up("ned")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    head = (
        "POST /notes/new HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {5 * 1024 * 1024}\r\n\r\n"
    )
    # Only the headers and the start of the body (what the server buffers before a
    # worker takes the request) are sent: the answer comes without reading the rest.
    with socket.create_connection(("127.0.0.1", demo.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"x" * (64 * 1024))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"<h1>That upload is too large</h1>" in rest
