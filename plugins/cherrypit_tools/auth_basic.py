"""HTTP Basic authentication: ``tools.auth_basic`` (RFC 7617) and password helpers.

The tool reads ``Authorization: Basic <base64>``, decodes the credentials with
``accept_charset`` (ISO-8859-1 as the fallback), and asks ``checkpassword(realm,
username, password)``.  On success ``request.login`` is the user name; otherwise the
answer is 401 with a ``WWW-Authenticate: Basic`` challenge.  A header that cannot be
decoded is a 400.

Differences from CherryPy, all on the side of safety:

* :func:`checkpassword_dict` compares passwords in constant time
  (:func:`hmac.compare_digest`), and spends the same work on unknown users;
* :func:`checkpassword_hashed` and :func:`hash_password` let the credential store
  hold salted scrypt (or PBKDF2) hashes instead of plain text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable, Mapping

from cherrypit import HTTPError, log
from cherrypit.plugin import current

__all__ = [
    "basic_auth",
    "checkpassword_dict",
    "checkpassword_hashed",
    "hash_password",
    "verify_password",
]

#: ``checkpassword(realm, username, password) -> bool``
CheckPassword = Callable[[str, str, str], bool]

_FALLBACK_CHARSET = "ISO-8859-1"
_UNAUTHORIZED = "You are not authorized to access that resource"


def _equal(a: str, b: str) -> bool:
    """Constant-time comparison of two texts (``compare_digest`` wants ASCII or bytes)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def checkpassword_dict(user_password_dict: Mapping[str, str]) -> CheckPassword:
    """A ``checkpassword`` for ``{username: plain-text password}``.

    Comparisons take the same time whatever the password is, and an unknown user
    costs as much as a known one.  Plain-text stores suit demos and tests; prefer
    :func:`checkpassword_hashed` for real credentials.
    """

    def checkpassword(realm: str, user: str, password: str) -> bool:
        expected = user_password_dict.get(user)
        if not expected:
            _equal(password, password)  # same work as a real comparison
            return False
        return _equal(expected, password)

    return checkpassword


# ------------------------------------------------------------------ hashed passwords

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_PBKDF2_ITERATIONS = 600_000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 1024 * 1024
    )


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def hash_password(password: str, method: str = "scrypt") -> str:
    """Hash ``password`` with a random salt, for :func:`checkpassword_hashed`.

    :param method: ``"scrypt"`` (default; ``scrypt$N$r$p$salt$hash``) or
        ``"pbkdf2_sha256"`` (``pbkdf2_sha256$iterations$salt$hash``).  Salt and hash
        are base64.
    """
    salt = secrets.token_bytes(16)
    if method == "scrypt":
        digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
        return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"
    if method == "pbkdf2_sha256":
        digest = _pbkdf2(password, salt, _PBKDF2_ITERATIONS)
        return f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${_b64(salt)}${_b64(digest)}"
    raise ValueError(f"unknown password hashing method {method!r}")


def verify_password(password: str, hashed: str) -> bool:
    """Tell whether ``password`` matches ``hashed`` (made by :func:`hash_password`).

    The final comparison is constant-time; a malformed ``hashed`` is simply no match.
    """
    parts = hashed.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            actual = _scrypt(password, salt, n, r, p)
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            actual = _pbkdf2(password, salt, int(parts[1]))
        else:
            return False
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def checkpassword_hashed(user_hash_dict: Mapping[str, str]) -> CheckPassword:
    """A ``checkpassword`` for ``{username: hash_password(password)}``.

    Unknown users are checked against a throw-away hash, so a wrong user name takes
    as long as a wrong password.
    """
    dummy: list[str] = []

    def throwaway() -> str:
        # Hashed like the store's own entries, so the work matches a real check.
        if not dummy:
            sample = next(iter(user_hash_dict.values()), "")
            method = "pbkdf2_sha256" if sample.startswith("pbkdf2_sha256$") else "scrypt"
            dummy.append(hash_password(secrets.token_hex(8), method=method))
        return dummy[0]

    def checkpassword(realm: str, user: str, password: str) -> bool:
        hashed = user_hash_dict.get(user)
        if not hashed:
            verify_password(password, throwaway())
            return False
        return verify_password(password, hashed)

    return checkpassword


# ------------------------------------------------------------------------- the tool


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode(_FALLBACK_CHARSET)


def _credentials(header: str, charset: str) -> tuple[str, str] | None:
    """``(username, password)`` from a Basic ``Authorization`` value; None for other schemes.

    :raises ValueError: when the value is malformed (``binascii.Error`` is one).
    """
    scheme, params = header.split(" ", 1)
    if scheme.lower() != "basic":
        return None
    raw = base64.b64decode(params.encode("ascii"))
    username, password = unicodedata.normalize("NFC", _decode(raw, charset)).split(":", 1)
    return username, password


def challenge(realm: str, accept_charset: str = "utf-8") -> str:
    """The ``WWW-Authenticate`` value for ``realm`` (charset named unless ISO-8859-1)."""
    charset = accept_charset.upper()
    declared = f', charset="{charset}"' if charset != _FALLBACK_CHARSET else ""
    return f'Basic realm="{realm}"{declared}'


def basic_auth(
    realm: str,
    checkpassword: CheckPassword,
    debug: bool = False,
    accept_charset: str = "utf-8",
) -> None:
    """``tools.auth_basic``: require valid Basic credentials (``before_handler``, 1).

    :param realm: the protection space named in the challenge (no ``"`` allowed).
    :param checkpassword: ``checkpassword(realm, username, password) -> bool``.
    :param accept_charset: charset of the credentials (ISO-8859-1 is the fallback).
    :raises cherrypit.HTTPError: 401 with a challenge when credentials are missing
        or wrong; 400 when the header is malformed.
    """
    if '"' in realm:
        raise ValueError('Realm cannot contain the " (quote) character.')
    slot = current()
    request = slot.request
    header = request.headers.get("Authorization")
    if header is not None:
        # Only the client's header is answered with 400: an error raised by the
        # application's checkpassword stays a server error.
        with HTTPError.handle((ValueError, binascii.Error), 400, "Bad Request"):
            credentials = _credentials(header, accept_charset)
        if credentials is not None and checkpassword(realm, *credentials):
            if debug:
                log("Auth succeeded", "TOOLS.AUTH_BASIC")
            request.login = credentials[0]
            return
    if debug:
        log("Auth failed or missing: answering 401", "TOOLS.AUTH_BASIC")
    slot.response.headers["WWW-Authenticate"] = challenge(realm, accept_charset)
    raise HTTPError(401, _UNAUTHORIZED)
