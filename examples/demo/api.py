"""``/api``: the same notes as a REST/JSON API.

``MethodDispatcher`` (set for ``/api`` in site.conf) picks the handler by HTTP method,
hence the upper-case method names; a note id in the URL arrives as a positional
argument.  Clients authenticate with HTTP Basic (the account's user name and password)::

    curl -u ann:secret-password http://127.0.0.1:8080/api/notes
    curl -u ann:secret-password -H 'Content-Type: application/json' \\
         -d '{"title": "Milk", "body": "2 litres"}' http://127.0.0.1:8080/api/notes

No CSRF token is needed here: ``tools.json_in`` refuses any body that is not
``application/json`` (415), and browsers do not send such bodies, or PUT and DELETE
requests, to another site without its consent (CORS).
"""

from __future__ import annotations

import html
import json
from typing import Any

import cherrypit as cherrypy
from cherrypit.lib.logs import get_logger
from examples.demo.security import verify_password
from examples.demo.store import Note, Store
from examples.demo.validation import validate_note

__all__ = ["Api", "NotesResource", "json_error"]

log = get_logger("demo.api")


def json_error(status: str, message: str, traceback: str, version: str) -> str:
    """The error pages of ``/api``: JSON like the rest of the API, never HTML."""
    cherrypy.response.headers["Content-Type"] = "application/json"
    code = int(status.split()[0])
    if code >= 500:
        message = "Internal error; it was logged."
    # The values arrive HTML-escaped (they are meant for HTML pages): undo that here.
    return json.dumps({"status": code, "error": html.unescape(message)})


def _fields(data: Any, *, partial: bool) -> dict[str, str]:
    """The ``title`` and ``body`` of a JSON request body, checked; 400 when wrong."""
    if not isinstance(data, dict):
        raise cherrypy.HTTPError(400, 'Send a JSON object like {"title": "...", "body": "..."}.')
    unknown = sorted(set(data) - {"title", "body"})
    if unknown:
        raise cherrypy.HTTPError(400, f"Unknown field {unknown[0]!r}; notes have title and body.")
    fields: dict[str, str] = {}
    for name in ("title", "body"):
        if name not in data:
            continue
        if not isinstance(data[name], str):
            raise cherrypy.HTTPError(400, f"{name!r} must be a string.")
        fields[name] = data[name]
    if not partial and "title" not in fields:
        raise cherrypy.HTTPError(400, "A note needs a 'title'.")
    # Same rules as the HTML form.
    errors = validate_note(fields.get("title", "x"), fields.get("body", ""))
    if errors:
        raise cherrypy.HTTPError(400, next(iter(errors.values())))
    return fields


class NotesResource:
    """``/api/notes`` and ``/api/notes/<id>``."""

    exposed = True

    def __init__(self, store: Store) -> None:
        self.store = store

    def GET(self, note_id: str | None = None) -> Any:
        if note_id is None:
            return {"notes": [note.to_json() for note in self.store.notes_of(self._user_id())]}
        return self._find(note_id).to_json()

    @cherrypy.tools.json_in()
    def POST(self) -> dict[str, Any]:
        fields = _fields(cherrypy.request.json, partial=False)
        note = self.store.add_note(self._user_id(), fields["title"].strip(), fields.get("body", ""))
        log.info("note created", note_id=note.id, via="api")
        cherrypy.response.status = 201
        cherrypy.response.headers["Location"] = cherrypy.url(f"/api/notes/{note.id}")
        return note.to_json()

    @cherrypy.tools.json_in()
    def PUT(self, note_id: str) -> dict[str, Any]:
        note = self._find(note_id)
        fields = _fields(cherrypy.request.json, partial=True)
        updated = self.store.update_note(
            note.user_id,
            note.id,
            fields.get("title", note.title).strip(),
            fields.get("body", note.body),
        )
        assert updated is not None
        log.info("note updated", note_id=note.id, via="api")
        return updated.to_json()

    def DELETE(self, note_id: str) -> None:
        note = self._find(note_id)
        self.store.delete_note(note.user_id, note.id)
        log.info("note deleted", note_id=note.id, via="api")
        cherrypy.response.status = 204

    def _user_id(self) -> int:
        user = self.store.user_named(cherrypy.request.login or "")
        if user is None:  # deleted since the credentials were checked
            raise cherrypy.HTTPError(401)
        return user.id

    def _find(self, note_id: str) -> Note:
        note = self.store.note(self._user_id(), int(note_id)) if note_id.isdigit() else None
        if note is None:
            raise cherrypy.HTTPError(404, f"No note with id {note_id!r}.")
        return note


class Api:
    """``/api``: the resources, behind HTTP Basic authentication; errors answer JSON."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.notes = NotesResource(store)
        self._cp_config = {
            "error_page.default": json_error,
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "cherrypit notes",
            "tools.auth_basic.checkpassword": self.check_password,
        }

    def check_password(self, realm: str, username: str, password: str) -> bool:
        user = self.store.user_named(username)
        return user is not None and verify_password(password, user.password_hash)
