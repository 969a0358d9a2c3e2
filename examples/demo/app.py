"""The demo site: a small CherryPy-style application running on cherrypit.

Every page is a plain method on a plain object (CherryPy's object dispatch)::

    /                      home page, links to everything below
    /about/                a nested object with its own index …
    /about/team            … and a second page
    /blog/                 the archive
    /blog/2024/05          positional arguments: ``default(year, month)``
    /users/alice/          ``popargs``: the segment becomes the ``username`` parameter
    /users/alice/posts     … and reaches nested pages as well
    /contact/              a form: GET shows it, POST validates, success → 303
    /api/notes[/<id>]      a REST resource (MethodDispatcher, JSON in and out)
    /boom                  raises, to show the 500 page
    anything else          the friendly 404 page (``error_page.404``)

Per-path settings (a response header for ``/blog``, the dispatcher and JSON tools of
``/api``, trailing-slash handling) live in ``site.conf`` next to this file.
"""

from __future__ import annotations

import html
import json
import re
import threading
from pathlib import Path
from typing import Any

import cherrypit as cherrypy

__all__ = ["CONFIG_PATH", "Root", "json_error", "mount", "page_not_found", "root", "server_error"]

#: The INI config of the demo (``[global]`` for the site, ``[/path]`` for the app).
CONFIG_PATH = Path(__file__).with_name("site.conf")

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

POSTS: dict[tuple[int, int], list[str]] = {
    (2024, 5): ["Object dispatch in five minutes", "Why popargs beats regex routes"],
    (2024, 6): ["Tools are just hooks"],
    (2025, 1): ["A year of cherrypit"],
}

USERS: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice Liddell", "posts": ["Down the rabbit hole", "Tea at six"]},
    "bob": {"name": "Bob Builder", "posts": ["Can we fix it?"]},
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em}"
    "nav a{margin-right:1em}.error{color:#a00}label{display:block;margin-top:.8em}"
    "footer{margin-top:3em;color:#666;font-size:small}"
)


def layout(title: str, body: str) -> str:
    """Wrap ``body`` (already safe HTML) in the site's page; ``title`` is escaped here."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)} · cherrypit demo</title>\n<style>{_STYLE}</style>\n"
        "</head>\n<body>\n<nav><a href=\"/\">Home</a><a href=\"/about/\">About</a>"
        "<a href=\"/blog/\">Blog</a><a href=\"/users/alice/\">Users</a>"
        "<a href=\"/contact/\">Contact</a><a href=\"/api/notes\">API</a></nav>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n"
        "<footer>served by cherrypit</footer>\n</body>\n</html>\n"
    )


# --- error pages --------------------------------------------------------------------------


def page_not_found(status: str, message: str, traceback: str, version: str) -> str:
    """``error_page.404``: a friendly page instead of the framework's default.

    The framework passes the values HTML-escaped already, so they go into the page as
    they are.  An error-page callable owns the whole answer, Content-Type included.
    """
    cherrypy.response.headers["Content-Type"] = "text/html;charset=utf-8"
    body = (
        "<p>Sorry, there is nothing at this address.</p>\n"
        f"<p class=\"error\">{message}</p>\n"
        "<p>Try the <a href=\"/\">home page</a>.</p>"
    )
    return layout("Page not found", body)


def server_error(status: str, message: str, traceback: str, version: str) -> str:
    """``error_page.500``: apologise without showing any internals."""
    cherrypy.response.headers["Content-Type"] = "text/html;charset=utf-8"
    body = (
        "<p>Something went wrong on our side. The error was logged; "
        "please try again later.</p>\n<p>Back to the <a href=\"/\">home page</a>.</p>"
    )
    return layout("Server error", body)


def json_error(status: str, message: str, traceback: str, version: str) -> str:
    """The error pages of ``/api``: JSON like the rest of the API, not HTML."""
    cherrypy.response.headers["Content-Type"] = "application/json"
    # The values arrive HTML-escaped (they are meant for HTML pages): undo that here.
    return json.dumps({"status": html.unescape(status), "error": html.unescape(message)})


# --- plain pages: object dispatch ---------------------------------------------------------


class About:
    """``/about/``: a nested object; its ``index`` answers the folder URL."""

    @cherrypy.expose
    def index(self) -> str:
        return layout(
            "About",
            "<p>This demo shows CherryPy's programming model running on cherrypit.</p>"
            "<p>Meet the <a href=\"team\">team</a>.</p>",
        )

    @cherrypy.expose
    def team(self) -> str:
        return layout("The team", "<ul><li>Alice</li><li>Bob</li></ul>")


class Blog:
    """``/blog/``: the archive; ``/blog/<year>/<month>`` through positional arguments."""

    @cherrypy.expose
    def index(self) -> str:
        items = "".join(
            f"<li><a href=\"/blog/{year}/{month:02d}\">{MONTHS[month - 1]} {year}</a> "
            f"({len(titles)})</li>"
            for (year, month), titles in sorted(POSTS.items())
        )
        return layout("Blog archive", f"<ul>{items}</ul>")

    @cherrypy.expose
    def default(self, year: str, month: str | None = None) -> str:
        # Unmatched path segments arrive here as positional arguments.
        try:
            y = int(year)
            m = int(month) if month is not None else None
        except ValueError:
            raise cherrypy.NotFound() from None
        if m is not None and not 1 <= m <= 12:
            raise cherrypy.NotFound()
        months = [(k, v) for k, v in sorted(POSTS.items()) if k[0] == y and m in (None, k[1])]
        title = f"{MONTHS[m - 1]} {y}" if m is not None else str(y)
        if not months:
            return layout(title, "<p>No posts in this period.</p>")
        items = "".join(
            f"<li>{html.escape(t)}</li>" for _key, titles in months for t in titles
        )
        return layout(title, f"<ul>{items}</ul>")


@cherrypy.popargs("username")
class Users:
    """``/users/<username>/``: ``popargs`` turns the segment into a parameter."""

    @cherrypy.expose
    def index(self, username: str | None = None) -> str:
        if username is None:
            links = "".join(f"<li><a href=\"/users/{u}/\">{u}</a></li>" for u in sorted(USERS))
            return layout("Users", f"<ul>{links}</ul>")
        user = self._user(username)
        return layout(
            user["name"],
            f"<p>Profile of <b>{html.escape(username)}</b>. "
            f"See their <a href=\"/users/{html.escape(username)}/posts\">posts</a>.</p>",
        )

    @cherrypy.expose
    def posts(self, username: str) -> str:
        user = self._user(username)
        items = "".join(f"<li>{html.escape(t)}</li>" for t in user["posts"])
        return layout(f"Posts by {user['name']}", f"<ul>{items}</ul>")

    @staticmethod
    def _user(username: str) -> dict[str, Any]:
        user = USERS.get(username)
        if user is None:
            raise cherrypy.NotFound()
        return user


# --- a form -------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_contact(name: str, email: str, message: str) -> dict[str, str]:
    """Field name → error message, for every invalid field (empty when all are fine)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Please tell us your name."
    elif len(name) > 80:
        errors["name"] = "That name is longer than 80 characters."
    if not _EMAIL.match(email.strip()):
        errors["email"] = f"{email!r} does not look like an e-mail address."
    if not message.strip():
        errors["message"] = "The message is empty."
    return errors


class Contact:
    """``/contact/``: GET shows the form; POST checks it and redirects (303) on success."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self._lock = threading.Lock()

    @cherrypy.expose
    def index(self, name: str = "", email: str = "", message: str = "", **_: Any) -> str:
        if cherrypy.request.method != "POST":
            return self._form({}, name, email, message)
        errors = validate_contact(name, email, message)
        if errors:
            cherrypy.response.status = 400
            return self._form(errors, name, email, message)
        with self._lock:
            self.messages.append({"name": name, "email": email, "message": message})
        # 303: the browser fetches the thanks page with GET, so reloading it does not
        # send the form again.
        raise cherrypy.HTTPRedirect(cherrypy.url("/contact/thanks"), 303)

    @cherrypy.expose
    def thanks(self) -> str:
        return layout("Thank you", "<p>Your message was received.</p>")

    def _form(self, errors: dict[str, str], name: str, email: str, message: str) -> str:
        def field_error(field: str) -> str:
            if field not in errors:
                return ""
            # The message may quote what the user typed: escape it like any user input.
            return f"<span class=\"error\">{html.escape(errors[field])}</span>"

        summary = (
            "<p class=\"error\">Please correct the fields marked below.</p>" if errors else ""
        )
        body = (
            f"{summary}<form method=\"post\" action=\"/contact/\">"
            f"<label>Name <input name=\"name\" value=\"{html.escape(name)}\"></label>"
            f"{field_error('name')}"
            f"<label>E-mail <input name=\"email\" value=\"{html.escape(email)}\"></label>"
            f"{field_error('email')}"
            f"<label>Message <textarea name=\"message\">{html.escape(message)}</textarea>"
            f"</label>{field_error('message')}"
            "<p><button type=\"submit\">Send</button></p></form>"
        )
        return layout("Contact us", body)


# --- a REST resource ----------------------------------------------------------------------


class Notes:
    """``/api/notes``: a JSON resource served by ``MethodDispatcher`` (see ``site.conf``).

    The HTTP method picks the handler, hence the upper-case method names (``GET``,
    ``POST``, ``PUT``, ``DELETE``); a note id in the URL arrives as a positional argument.
    """

    exposed = True

    def __init__(self) -> None:
        self._notes: dict[int, dict[str, Any]] = {1: {"id": 1, "text": "Try the demo"}}
        self._next_id = 2
        self._lock = threading.Lock()

    def GET(self, note_id: str | None = None) -> Any:
        with self._lock:
            if note_id is None:
                return {"notes": [self._notes[k] for k in sorted(self._notes)]}
            return self._find(note_id)

    @cherrypy.tools.json_in()
    def POST(self) -> dict[str, Any]:
        text = self._text(cherrypy.request.json)
        with self._lock:
            note = {"id": self._next_id, "text": text}
            self._notes[self._next_id] = note
            self._next_id += 1
        cherrypy.response.status = 201
        cherrypy.response.headers["Location"] = cherrypy.url(f"/api/notes/{note['id']}")
        return note

    @cherrypy.tools.json_in()
    def PUT(self, note_id: str) -> dict[str, Any]:
        text = self._text(cherrypy.request.json)
        with self._lock:
            note = self._find(note_id)
            note["text"] = text
            return note

    def DELETE(self, note_id: str) -> dict[str, Any]:
        with self._lock:
            note = self._find(note_id)
            del self._notes[note["id"]]
        return {"deleted": note["id"]}

    def _find(self, note_id: str) -> dict[str, Any]:
        note = self._notes.get(int(note_id)) if note_id.isdigit() else None
        if note is None:
            raise cherrypy.HTTPError(404, f"No note with id {note_id!r}.")
        return note

    @staticmethod
    def _text(data: Any) -> str:
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise cherrypy.HTTPError(400, 'Send a JSON object like {"text": "..."}.')
        return text


class Api:
    """``/api``: the REST resources; errors below it answer JSON too."""

    _cp_config = {
        "error_page.default": json_error,
        # The site's 404 and 500 pages are set for specific codes: replace them here.
        "error_page.404": json_error,
        "error_page.500": json_error,
    }

    def __init__(self) -> None:
        self.notes = Notes()


# --- the root -----------------------------------------------------------------------------


class Root:
    """The site root: the home page, a failing page, and the sections above."""

    _cp_config = {
        "error_page.404": page_not_found,
        "error_page.500": server_error,
    }

    def __init__(self) -> None:
        self.about = About()
        self.blog = Blog()
        self.users = Users()
        self.contact = Contact()
        self.api = Api()

    @cherrypy.expose
    def index(self) -> str:
        return layout(
            "cherrypit demo",
            "<ul>"
            "<li><a href=\"/about/\">About</a> and <a href=\"/about/team\">the team</a>"
            " (nested objects)</li>"
            "<li><a href=\"/blog/2024/05\">May 2024</a> (positional arguments)</li>"
            "<li><a href=\"/users/alice/posts\">Alice's posts</a> (popargs)</li>"
            "<li><a href=\"/contact/\">Contact form</a> (validation, 303 redirect)</li>"
            "<li><a href=\"/api/notes\">/api/notes</a> (REST, JSON)</li>"
            "<li><a href=\"/boom\">A broken page</a> (500) and "
            "<a href=\"/nowhere\">a missing one</a> (404)</li>"
            "</ul>",
        )

    @cherrypy.expose
    def boom(self) -> str:
        raise RuntimeError("this page fails on purpose")


#: The application root that ``cherrypit run examples.demo.app:root`` mounts.
root = Root()


def mount(config: str | Path | None = CONFIG_PATH, script_name: str = "") -> Any:
    """Mount a fresh demo on ``cherrypit.tree`` with the app sections of ``config``."""
    return cherrypy.tree.mount(Root(), script_name, str(config) if config else None)
