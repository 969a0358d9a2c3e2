"""The HTML side of the demo: accounts, the notes pages and the error pages.

Object dispatch maps URLs to methods: ``Site.login`` answers ``/login``,
``Notes.edit`` answers ``/notes/<id>/edit`` (``popargs`` turns the id segment into the
``note_id`` argument).  Handlers return dicts; ``tools.template`` renders them with the
Jinja2 template named in the decorator.
"""

from __future__ import annotations

import html
from typing import Any

import cherrypit as cherrypy
from cherrypit.lib import static
from cherrypit.lib.logs import get_logger
from cherrypit.lib.templates import render
from examples.demo.api import Api
from examples.demo.security import current_user, hash_password, log_in, log_out, verify_password
from examples.demo.store import Note, Store, UsernameTaken
from examples.demo.validation import validate_note, validate_signup

__all__ = ["MAX_ATTACHMENT_BYTES", "Notes", "Site", "error_page"]

log = get_logger("demo")

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024


def flash(message: str) -> None:
    """Show ``message`` once, on the next page the visitor sees (see base.html)."""
    cherrypy.session["flash"] = message


def see_other(path: str) -> cherrypy.HTTPRedirect:
    """303: after a successful POST the browser fetches ``path`` with GET."""
    return cherrypy.HTTPRedirect(cherrypy.url(path), 303)


def _safe_next(target: str) -> str:
    """Only local paths are followed after login (no redirect to another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/notes/"


def _upload(value: Any) -> tuple[str, str, bytes] | None:
    """(file name, content type, data) of a file field, or None when no file was chosen."""
    filename = getattr(value, "filename", None)
    if not filename:
        return None
    data = value.file.read() if value.file is not None else (value.value or b"")
    # Browsers on Windows used to send the whole client path.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "attachment"
    return name, str(value.content_type.value or "application/octet-stream"), data


# --- error pages --------------------------------------------------------------------------

_HEADLINES = {
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    413: "That upload is too large",
    500: "Something went wrong",
}


def error_page(status: str, message: str, traceback: str, version: str) -> str:
    """``error_page.default``: every HTML error as a page of the site.

    The framework hands the values over HTML-escaped; the template escapes what it
    shows again, so they are unescaped first.
    """
    code = int(status.split()[0])
    if code >= 500:
        # Never show internals: the details are in the error log.
        message = "The error was logged. Please try again in a moment."
    cherrypy.response.headers["Content-Type"] = "text/html;charset=utf-8"

    @render("error.html")
    def page() -> Any:  # a dict in, the rendered page out
        return {
            "code": code,
            "headline": _HEADLINES.get(code, html.unescape(status)),
            "message": html.unescape(message),
        }

    result: str = page()
    return result


# --- pages --------------------------------------------------------------------------------


@cherrypy.popargs("note_id")
class Notes:
    """``/notes/``: the logged-in user's notes (``tools.login_required`` in site.conf)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @cherrypy.expose
    def index(self, note_id: str | None = None) -> Any:
        if note_id is None:
            return self._list()
        return self._show(self._find(note_id))

    @render("notes.html")
    def _list(self) -> dict[str, Any]:
        return {"notes": self.store.notes_of(self._user_id())}

    @render("note.html")
    def _show(self, note: Note) -> dict[str, Any]:
        return {"note": note}

    @cherrypy.expose
    @cherrypy.tools.template("note_form.html")
    def new(self, title: str = "", body: str = "", attachment: Any = None) -> dict[str, Any]:
        if cherrypy.request.method != "POST":
            return {"note": None, "title": "", "body": "", "errors": {}}
        errors = validate_note(title, body)
        upload = _upload(attachment)
        if upload is not None and len(upload[2]) > MAX_ATTACHMENT_BYTES:
            errors["attachment"] = "Attachments can be at most 2 MiB."
        if errors:
            cherrypy.response.status = 400
            return {"note": None, "title": title, "body": body, "errors": errors}
        note = self.store.add_note(self._user_id(), title.strip(), body)
        if upload is not None:
            note = self.store.attach(note, *upload)
        log.info("note created", note_id=note.id, attachment=upload is not None)
        flash("Note created.")
        raise see_other(f"/notes/{note.id}/")

    @cherrypy.expose
    @cherrypy.tools.template("note_form.html")
    def edit(
        self,
        note_id: str,
        title: str = "",
        body: str = "",
        attachment: Any = None,
        remove_attachment: str = "",
    ) -> dict[str, Any]:
        note = self._find(note_id)
        if cherrypy.request.method != "POST":
            return {"note": note, "title": note.title, "body": note.body, "errors": {}}
        errors = validate_note(title, body)
        upload = _upload(attachment)
        if upload is not None and len(upload[2]) > MAX_ATTACHMENT_BYTES:
            errors["attachment"] = "Attachments can be at most 2 MiB."
        if errors:
            cherrypy.response.status = 400
            return {"note": note, "title": title, "body": body, "errors": errors}
        updated = self.store.update_note(note.user_id, note.id, title.strip(), body)
        assert updated is not None
        if upload is not None:
            updated = self.store.attach(updated, *upload)
        elif remove_attachment and updated.attachment is not None:
            updated = self.store.detach(updated)
        log.info("note updated", note_id=note.id)
        flash("Changes saved.")
        raise see_other(f"/notes/{note.id}/")

    @cherrypy.expose
    @cherrypy.tools.allow(methods=["POST"])
    def delete(self, note_id: str) -> None:
        note = self._find(note_id)
        self.store.delete_note(note.user_id, note.id)
        log.info("note deleted", note_id=note.id)
        flash(f"Deleted “{note.title}”.")
        raise see_other("/notes/")

    @cherrypy.expose
    def attachment(self, note_id: str) -> Any:
        note = self._find(note_id)
        if note.attachment is None:
            raise cherrypy.NotFound()
        # Always a download (Content-Disposition: attachment): an uploaded HTML file is
        # never shown as a page of this site.
        return static.serve_download(
            str(self.store.attachment_path(note.attachment)), note.attachment.name
        )

    def _user_id(self) -> int:
        user = current_user()
        assert user is not None  # tools.login_required ran first
        return int(user["id"])

    def _find(self, note_id: str) -> Note:
        note = self.store.note(self._user_id(), int(note_id)) if note_id.isdigit() else None
        if note is None:
            raise cherrypy.HTTPError(404, "There is no such note in your account.")
        return note


class Site:
    """The root of the site: the home page, the account pages and the sections."""

    _cp_config = {
        "error_page.default": error_page,
    }

    def __init__(self, store: Store) -> None:
        self.store = store
        self.notes = Notes(store)
        self.api = Api(store)

    @cherrypy.expose
    @cherrypy.tools.template("index.html")
    def index(self) -> dict[str, Any]:
        if current_user() is not None:
            raise cherrypy.HTTPRedirect(cherrypy.url("/notes/"))
        return {}

    @cherrypy.expose
    @cherrypy.tools.template("api_guide.html")
    def api_guide(self) -> dict[str, Any]:
        """``/api-guide``: the dispatcher turns ``-`` in a URL into ``_``."""
        return {}

    @cherrypy.expose
    @cherrypy.tools.template("signup.html")
    def signup(self, username: str = "", password: str = "", confirm: str = "") -> dict[str, Any]:
        if cherrypy.request.method != "POST":
            return {"username": "", "errors": {}}
        username = username.strip()
        errors = validate_signup(username, password, confirm)
        if not errors:
            try:
                user = self.store.add_user(username, hash_password(password))
            except UsernameTaken:
                errors["username"] = "That name is taken; pick another one."
            else:
                log_in(user.id, user.username)
                log.info("user signed up", user=user.username)
                flash(f"Welcome, {user.username}! Your account is ready.")
                raise see_other("/notes/")
        cherrypy.response.status = 400
        return {"username": username, "errors": errors}

    @cherrypy.expose
    @cherrypy.tools.template("login.html")
    def login(
        self, username: str = "", password: str = "", next: str = "/notes/"
    ) -> dict[str, Any]:
        if cherrypy.request.method != "POST":
            return {"username": "", "next": next, "error": None}
        user = self.store.user_named(username.strip())
        if user is None or not verify_password(password, user.password_hash):
            log.warning("login failed", user=username.strip()[:64])
            cherrypy.response.status = 400
            return {"username": username, "next": next, "error": "Wrong user name or password."}
        log_in(user.id, user.username)
        log.info("user logged in", user=user.username)
        raise see_other(_safe_next(next))

    @cherrypy.expose
    @cherrypy.tools.allow(methods=["POST"])
    def logout(self) -> None:
        user = current_user()
        log_out()
        if user is not None:
            log.info("user logged out", user=user["username"])
        raise see_other("/")
