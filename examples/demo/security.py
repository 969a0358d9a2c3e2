"""Passwords, logins and CSRF protection: two small tools in CherryPy's style.

``tools.csrf`` and ``tools.login_required`` are ordinary :class:`cherrypit.Tool` objects
added to ``cherrypit.tools``, so config switches them on per path, like the built-in
ones (``tools.csrf.on = True``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import urllib.parse
from typing import Any

import structlog

import cherrypit as cherrypy

__all__ = [
    "CSRF_FIELD",
    "check_csrf",
    "current_user",
    "hash_password",
    "log_in",
    "log_out",
    "require_login",
    "verify_password",
]

#: The form field (or ``X-CSRF-Token`` header) carrying the session's CSRF token.
CSRF_FIELD = "csrf_token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# scrypt parameters (RFC 7914): 16 MiB of memory per hash, a few tens of milliseconds.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash, ``scrypt$n$r$p$salt$hash`` (base64 salt and hash)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Does ``password`` match ``stored`` (a :func:`hash_password` result)?"""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


# --- sessions and logins ------------------------------------------------------------------


def current_user() -> dict[str, Any] | None:
    """``{"id": ..., "username": ...}`` of the logged-in user, or None."""
    user: dict[str, Any] | None = cherrypy.session.get("user")
    return user


def log_in(user_id: int, username: str) -> None:
    """Start an authenticated session under a fresh session id.

    A new id (and a new CSRF token) at login means an id planted in the visitor's
    browser before they logged in is worthless afterwards (session fixation).
    """
    cherrypy.session.regenerate()
    cherrypy.session["user"] = {"id": user_id, "username": username}
    cherrypy.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def log_out() -> None:
    """Delete the session's data and tell the browser to drop its cookie."""
    cherrypy.session.expire()


def require_login() -> None:
    """``tools.login_required``: send anonymous visitors to the login page.

    The page they wanted comes back as ``?next=`` so login can return them to it.
    """
    user = current_user()
    if user is None:
        request = cherrypy.request
        wanted = request.path_info + (f"?{request.query_string}" if request.query_string else "")
        query = urllib.parse.urlencode({"next": wanted})
        raise cherrypy.HTTPRedirect(cherrypy.url(f"/login?{query}"), 303)
    # The access log's user field, and every log line of this request names the user.
    cherrypy.request.login = user["username"]
    structlog.contextvars.bind_contextvars(user=user["username"])


# --- CSRF ---------------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token: str | None = cherrypy.session.get(CSRF_FIELD)
    if token is None:
        token = secrets.token_urlsafe(32)
        cherrypy.session[CSRF_FIELD] = token
    return token


def check_csrf() -> None:
    """``tools.csrf``: refuse state-changing requests that lack the session's token.

    Every form of the site carries the token in a hidden field (the ``csrf_field()``
    macro of the templates); a page on another site cannot read it, so a form posted
    from there is refused with 403.  GET and HEAD requests only make sure a token exists.
    """
    request = cherrypy.request
    expected = csrf_token()
    if request.method not in _UNSAFE_METHODS:
        return
    sent = request.params.pop(CSRF_FIELD, None) or request.headers.get("X-CSRF-Token", "")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise cherrypy.HTTPError(
            403,
            "This form has expired or was not sent from this site. "
            "Go back, reload the page and try again.",
        )


cherrypy.tools.login_required = cherrypy.Tool("before_handler", require_login, priority=60)
# After the sessions tool has locked the session (before_handler, 50).
cherrypy.tools.csrf = cherrypy.Tool("before_handler", check_csrf, priority=55)
