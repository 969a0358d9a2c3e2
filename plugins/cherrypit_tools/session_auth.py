"""Form login kept in the session: ``tools.session_auth`` (CherryPy's ``SessionAuth``).

With the tool on, a request whose session has no user name gets a login form
instead of the page.  The form posts to ``do_login`` (checked by
``check_username_and_password``); ``do_logout`` forgets the user.  Both redirect to
``from_page`` afterwards.  The session comes from the sessions plugin
(``tools.sessions.on`` must be on for the same path).

Differences from CherryPy, all on the side of safety:

* the built-in login screen HTML-escapes everything it shows (CherryPy reflected
  ``username``, ``from_page`` and ``error_msg`` as they came: cross-site scripting);
* ``from_page`` must be a relative URL of this site (no scheme, no ``//``, no
  backslash); anything else redirects to ``/`` (``check_from_page = False`` restores
  CherryPy's open redirect);
* the session id is regenerated at login, against session fixation
  (``regenerate_id = False`` restores CherryPy's behaviour);
* without a ``check_username_and_password`` every login is refused (CherryPy's
  placeholder accepted everyone);
* ``login_screen``, ``do_login`` and ``do_logout`` match the last path segment
  exactly (CherryPy matched any path ending with those words).
"""

from __future__ import annotations

import html
import urllib.parse
from typing import Any

from cherrypit import HTTPError, HTTPRedirect, log, url
from cherrypit.plugin import Attachment, HandlerTool, current

__all__ = ["SessionAuth", "SessionAuthTool", "is_local_url", "session_auth"]

_NO_CHECK = "Login is not configured (tools.session_auth.check_username_and_password)."

_LOGIN_PAGE = """<!DOCTYPE html>
<html><body>
<p>Message: {error_msg}</p>
<form method="post" action="do_login">
    <label>Login: <input type="text" name="username" value="{username}" size="10"></label>
    <br>
    <label>Password: <input type="password" name="password" size="10"></label>
    <br>
    <input type="hidden" name="from_page" value="{from_page}">
    <br>
    <input type="submit">
</form>
</body></html>"""

_CONTROL = frozenset(map(chr, [*range(32), 127]))


def is_local_url(target: object) -> bool:
    """Whether ``target`` is a relative URL that stays on this site.

    Accepted: paths such as ``/account``, ``..`` or ``page?x=1``.  Refused: anything
    with a scheme or an authority (``http://…``, ``//host``), backslashes (browsers
    read ``/\\host`` as ``//host``) and control characters.
    """
    if not isinstance(target, str) or not target:
        return False
    if "\\" in target or any(c in _CONTROL for c in target):
        return False
    if target.startswith("//"):
        return False
    parts = urllib.parse.urlsplit(target)
    return not parts.scheme and not parts.netloc


def _session() -> Any:
    session = current().session
    if session is None:
        raise RuntimeError(
            "tools.session_auth needs a session: switch tools.sessions.on on for this path"
        )
    return session


def _set_body(body: bytes) -> None:
    response = current().response
    response.body = body
    response.headers.pop("Content-Length", None)


class SessionAuth:
    """The login logic; every attribute can be set through ``tools.session_auth.*``.

    Override the hook methods by passing callables in config (they are called
    without ``self``): ``check_username_and_password(username, password)`` returns
    an error message or None on success; ``anonymous()`` may return a name for
    visitors who are not logged in; ``on_login``/``on_logout``/``on_check`` receive
    the user name.
    """

    #: The session key holding the logged-in user's name.
    session_key = "username"
    debug = False
    #: cherrypit: only follow ``from_page`` when it is a local URL (see :func:`is_local_url`).
    check_from_page = True
    #: cherrypit: give the session a new id at login (``session.regenerate()``).
    regenerate_id = True

    def check_username_and_password(self, username: str, password: str) -> str | None:
        """Return an error message, or None when the credentials are right."""
        return _NO_CHECK

    def anonymous(self) -> str | None:
        """A user name for visitors who are not logged in (None: ask them to log in)."""
        return None

    def on_login(self, username: str) -> None:
        """Called after a successful login."""

    def on_logout(self, username: str) -> None:
        """Called after a logout."""

    def on_check(self, username: str) -> None:
        """Called on each request of a logged-in user."""

    def login_screen(
        self, from_page: str = "..", username: str = "", error_msg: str = "", **kwargs: Any
    ) -> bytes:
        """The login form (HTML, UTF-8); every value shown is escaped."""
        page = _LOGIN_PAGE.format(
            from_page=html.escape(str(from_page), quote=True),
            username=html.escape(str(username), quote=True),
            error_msg=html.escape(str(error_msg), quote=True),
        )
        return page.encode("utf-8")

    def _redirect_target(self, from_page: object) -> str:
        if not self.check_from_page:
            return str(from_page or "/")
        if is_local_url(from_page):
            return str(from_page)
        self._debug_message(f"refusing from_page {from_page!r}: not a local URL")
        return "/"

    def do_login(
        self, username: str = "", password: str = "", from_page: str = "..", **kwargs: Any
    ) -> bool:
        """Check the posted credentials; redirect on success, show the form again if not."""
        if not isinstance(username, str) or not isinstance(password, str):
            raise HTTPError(400, "username and password must be single values")
        error_msg = self.check_username_and_password(username, password)
        if error_msg:
            _set_body(self.login_screen(from_page, username, error_msg))
            return True
        session = _session()
        if self.regenerate_id:
            regenerate = getattr(session, "regenerate", None)
            if regenerate is not None:
                regenerate()
        current().request.login = username
        session[self.session_key] = username
        self.on_login(username)
        raise HTTPRedirect(self._redirect_target(from_page))

    def do_logout(self, from_page: str = "..", **kwargs: Any) -> bool:
        """Forget the logged-in user and redirect to ``from_page``."""
        session = _session()
        username = session.get(self.session_key)
        session[self.session_key] = None
        if username:
            current().request.login = None
            self.on_logout(username)
        raise HTTPRedirect(self._redirect_target(from_page))

    def do_check(self) -> bool:
        """Let a logged-in (or anonymous) user through; otherwise show the login form."""
        session = _session()
        slot = current()
        request = slot.request
        username = session.get(self.session_key)
        if not username:
            session[self.session_key] = username = self.anonymous()
            self._debug_message("No session[username], trying anonymous")
        if not username:
            here = url(qs=request.query_string, relative="server")
            self._debug_message(f"No username, routing to login_screen with from_page {here!r}")
            _set_body(self.login_screen(here))
            return True
        self._debug_message(f"Setting request.login to {username!r}")
        request.login = username
        self.on_check(username)
        return False

    def _debug_message(self, message: str) -> None:
        if self.debug:
            log(message, "TOOLS.SESSAUTH")

    def run(self) -> bool:
        """Route the special paths, else check the session; True if the request is answered."""
        slot = current()
        request = slot.request
        last_segment = request.path_info.rsplit("/", 1)[-1]
        if last_segment == "login_screen":
            self._debug_message(f"routing {request.path_info!r} to login_screen")
            _set_body(self.login_screen())
            return True
        if last_segment in ("do_login", "do_logout"):
            if request.method != "POST":
                slot.response.headers["Allow"] = "POST"
                self._debug_message(f"{last_segment} requires POST")
                raise HTTPError(405)
            self._debug_message(f"routing {request.path_info!r} to {last_segment}")
            action = self.do_login if last_segment == "do_login" else self.do_logout
            return action(**request.params)
        self._debug_message("No special path, running do_check")
        return self.do_check()


def _configured(settings: dict[str, Any]) -> SessionAuth:
    auth = SessionAuth()
    for name, value in settings.items():
        setattr(auth, name, value)
    return auth


def session_auth(**kwargs: Any) -> bool:
    """``tools.session_auth``: a :class:`SessionAuth` with ``kwargs`` set, run once."""
    return _configured(kwargs).run()


class SessionAuthTool(HandlerTool):
    """``tools.session_auth`` (``before_handler``, 50): the configured
    :class:`SessionAuth` is built once per config, not per request."""

    def __init__(self, callable: Any = session_auth, name: str | None = None, priority: int = 50):
        super().__init__(callable, name, priority)

    def _run(self, auth: SessionAuth) -> None:
        if auth.run():
            current().request.handler = None

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        if self.callable is not session_auth:
            return super().hooks_for(settings, priority)
        return [Attachment(self._point, self._run, priority, {"auth": _configured(settings)})]
