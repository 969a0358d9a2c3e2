"""HTTP Digest authentication: ``tools.auth_digest`` (RFC 2617, RFC 7616 SHA-256).

The tool challenges with ``WWW-Authenticate: Digest realm=..., nonce=...,
algorithm="MD5", qop="auth"`` and accepts a response computed with MD5, MD5-sess
and, when offered through ``algorithms``, SHA-256 and SHA-256-sess.  ``get_ha1(realm,
username)`` supplies the stored ``H(username:realm:password)``; helpers build it from
plain-text dicts, HA1 dicts and Apache ``htdigest`` files.

Differences from CherryPy, all on the side of safety:

* nonces carry a random part and an HMAC-SHA256 of ``timestamp:random:realm`` keyed
  with ``key`` (CherryPy: MD5 of ``timestamp:realm:key``, identical for every client
  within a second);
* every comparison of a nonce or a response digest is constant-time;
* a nonce count (``nc``) is accepted once per nonce and user: a replayed request is
  refused with a ``stale`` challenge (see :class:`NonceCounter`);
* the ``uri`` the client signed must be the requested one (400 otherwise), so a
  captured response cannot open another resource;
* responses without ``qop`` (RFC 2069 style, no nonce count) are refused unless
  ``require_qop`` is False;
* SHA-256 (RFC 7616) can be offered next to MD5 (``algorithms``).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit
from urllib.request import parse_http_list, parse_keqv_list

from cherrypit import ConfigError, HTTPError, Tool, log
from cherrypit.plugin import Attachment, current

__all__ = [
    "DEFAULT_CHARSET",
    "FALLBACK_CHARSET",
    "DigestTool",
    "H",
    "HttpDigestAuthorization",
    "NonceCounter",
    "digest_auth",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "md5_hex",
    "nonce_counter",
    "synthesize_nonce",
    "uri_matches",
    "www_authenticate",
]

qop_auth = "auth"
qop_auth_int = "auth-int"
valid_qops = (qop_auth, qop_auth_int)
valid_algorithms = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess")

FALLBACK_CHARSET = "ISO-8859-1"
DEFAULT_CHARSET = "UTF-8"
_UNAUTHORIZED = "You are not authorized to access that resource"

#: ``get_ha1(realm, username) -> hex HA1 or None`` (optionally ``algorithm=...``).
GetHA1 = Callable[..., "str | None"]

_HASHES: dict[str, Callable[..., Any]] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _base_algorithm(algorithm: str) -> str:
    return algorithm[:-5] if algorithm.endswith("-sess") else algorithm


def _hex(algorithm: str, text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    hexdigest: str = _HASHES[_base_algorithm(algorithm)](data).hexdigest()
    return hexdigest


def md5_hex(s: str | bytes) -> str:
    """MD5 of ``s`` (UTF-8 encoded) as lower-case hex."""
    return _hex("MD5", s)


def H(s: str | bytes) -> str:
    """Digest's hash function for MD5: :func:`md5_hex`."""
    return md5_hex(s)


def _trace(msg: str) -> None:
    log(msg, "TOOLS.AUTH_DIGEST")


#: CherryPy's name for the debug logger of this module.
TRACE = _trace


# ---------------------------------------------------------------- credential stores


def get_ha1_dict_plain(user_password_dict: Mapping[str, str]) -> GetHA1:
    """A ``get_ha1`` for ``{username: plain-text password}`` (any algorithm)."""

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        password = user_password_dict.get(username)
        if password:
            return _hex(algorithm, f"{username}:{realm}:{password}")
        return None

    return get_ha1


def get_ha1_dict(user_ha1_dict: Mapping[str, str], algorithm: str = "MD5") -> GetHA1:
    """A ``get_ha1`` for ``{username: HA1}`` where HA1 was made with ``algorithm``."""
    own = _base_algorithm(algorithm)

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        if _base_algorithm(algorithm) != own:
            return None
        return user_ha1_dict.get(username)

    return get_ha1


def get_ha1_file_htdigest(filename: str) -> GetHA1:
    """A ``get_ha1`` reading an Apache ``htdigest`` file (``user:realm:md5 HA1`` lines).

    The file is read on each lookup, so edits apply at once.
    """

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        if _base_algorithm(algorithm) != "MD5":
            return None
        with open(filename, encoding="utf-8") as f:
            for line in f:
                user, _, rest = line.rstrip("\r\n").partition(":")
                line_realm, _, ha1 = rest.partition(":")
                if user == username and line_realm == realm:
                    return ha1
        return None

    return get_ha1


# ----------------------------------------------------------------------- nonces


def _nonce_mac(timestamp: str, salt: str, s: str, key: str) -> str:
    message = f"{timestamp}:{salt}:{s}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def synthesize_nonce(s: str, key: str, timestamp: int | str | None = None) -> str:
    """A fresh nonce ``timestamp:random:mac`` bound to ``s`` (the realm) and ``key``.

    ``mac`` is an HMAC-SHA256 keyed with the server secret ``key``, so a nonce cannot
    be forged and its timestamp (used for staleness) cannot be changed.
    """
    if timestamp is None:
        timestamp = int(time.time())
    salt = secrets.token_hex(8)
    return f"{timestamp}:{salt}:{_nonce_mac(str(timestamp), salt, s, key)}"


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; ``given`` comes from the client and may be any text.

    ``compare_digest`` raises on non-ASCII ``str``, so both sides are compared as bytes.
    """
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def _nonce_is_valid(nonce: str, s: str, key: str) -> bool:
    parts = nonce.split(":")
    if len(parts) != 3:
        return False
    timestamp, salt, mac = parts
    return _same(_nonce_mac(timestamp, salt, s, key), mac)


def _nonce_age(nonce: str) -> float | None:
    try:
        return time.time() - int(nonce.split(":", 1)[0])
    except ValueError:
        return None


class NonceCounter:
    """Remembers, per (nonce, user), which nonce counts were already used.

    A count is accepted once.  Counts may arrive slightly out of order (browsers send
    requests over several connections): anything above the highest count seen, or
    within ``window`` below it and not seen yet, is accepted.  At most ``capacity``
    nonces are tracked; when an entry must be dropped, every nonce issued up to the
    dropped one's time is treated as stale from then on, so an evicted nonce can never
    be replayed.
    """

    def __init__(self, capacity: int = 10000, window: int = 32) -> None:
        self.capacity = capacity
        self.window = window
        self._entries: OrderedDict[tuple[str, str], tuple[int, set[int]]] = OrderedDict()
        self._forgotten_before = 0
        self._lock = threading.Lock()

    def accept(self, nonce: str, username: str, nc: int) -> bool:
        """Record ``nc`` for ``(nonce, username)``; False if it was used (a replay)."""
        try:
            issued = int(nonce.split(":", 1)[0])
        except ValueError:
            return False
        key = (nonce, username)
        with self._lock:
            if issued <= self._forgotten_before:
                return False
            highest, seen = self._entries.pop(key, (0, set()))
            if nc > highest:
                seen = {n for n in seen if n > nc - self.window}
                seen.add(nc)
                highest = nc
            elif nc > highest - self.window and nc not in seen:
                seen.add(nc)
            else:
                self._entries[key] = (highest, seen)
                return False
            self._entries[key] = (highest, seen)
            while len(self._entries) > self.capacity:
                (old_nonce, _), _ = self._entries.popitem(last=False)
                self._forgotten_before = max(
                    self._forgotten_before, int(old_nonce.split(":", 1)[0])
                )
            return True

    def clear(self) -> None:
        """Forget every count; nonces issued until now become stale (never replayable)."""
        with self._lock:
            self._entries.clear()
            self._forgotten_before = int(time.time())

    def __len__(self) -> int:
        return len(self._entries)


#: The counter the tool uses (shared by every realm; nonces are unique).
nonce_counter = NonceCounter()


# -------------------------------------------------------------- the authorization


def _decode_header(header: str, charset: str) -> str:
    raw = header.encode("latin-1", "replace")
    for encoding in (charset, FALLBACK_CHARSET):
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return header


class HttpDigestAuthorization:
    """A parsed ``Authorization: Digest ...`` header that can recompute its digest.

    :raises ValueError: when the header is not a well-formed Digest response.
    """

    scheme = "digest"

    def errmsg(self, s: str) -> str:
        """Prefix ``s`` for error messages."""
        return f"Digest Authorization header: {s}"

    @classmethod
    def matches(cls, header: str) -> bool:
        """Whether ``header`` uses the Digest scheme (case-insensitively)."""
        scheme, _, _ = header.partition(" ")
        return scheme.lower() == cls.scheme

    def __init__(
        self,
        auth_header: str,
        http_method: str,
        debug: bool = False,
        accept_charset: str = DEFAULT_CHARSET,
    ) -> None:
        self.http_method = http_method
        self.debug = debug
        if not self.matches(auth_header):
            raise ValueError('Authorization scheme is not "Digest"')
        self.auth_header = _decode_header(auth_header, accept_charset)
        _, params = self.auth_header.split(" ", 1)
        values = parse_keqv_list(parse_http_list(params))

        self.realm: str | None = values.get("realm")
        self.username: str | None = values.get("username")
        self.nonce: str | None = values.get("nonce")
        self.uri: str | None = values.get("uri")
        self.method: str | None = values.get("method")
        self.response: str | None = values.get("response")
        self.cnonce: str | None = values.get("cnonce")
        self.opaque: str | None = values.get("opaque")
        self.qop: str | None = values.get("qop")
        self.nc: str | None = values.get("nc")
        self.nonce_count = 0
        algorithm = values.get("algorithm", "MD5")
        # Tokens are case-insensitive; keep the canonical spelling.
        canonical = {a.upper(): a for a in valid_algorithms}
        if algorithm.upper() not in canonical:
            raise ValueError(self.errmsg(f"Unsupported value for algorithm: '{algorithm}'"))
        self.algorithm = canonical[algorithm.upper()]

        if not (self.username and self.realm and self.nonce and self.uri and self.response):
            raise ValueError(self.errmsg("Not all required parameters are present."))
        if self.qop:
            if self.qop not in valid_qops:
                raise ValueError(self.errmsg(f"Unsupported value for qop: '{self.qop}'"))
            if not (self.cnonce and self.nc):
                raise ValueError(self.errmsg("If qop is sent then cnonce and nc MUST be present"))
            #: the nonce count as a number (``nc`` is 8 hex digits)
            self.nonce_count = int(self.nc, 16)
        elif self.cnonce or self.nc:
            raise ValueError(
                self.errmsg("If qop is not sent, neither cnonce nor nc can be present")
            )

    def __str__(self) -> str:
        return f"authorization : {self.auth_header}"

    def validate_nonce(self, s: str, key: str) -> bool:
        """Whether the nonce was issued by :func:`synthesize_nonce` for ``s`` and ``key``."""
        valid = _nonce_is_valid(self.nonce or "", s, key)
        if self.debug:
            _trace(f"validate_nonce: {valid}")
        return valid

    def is_nonce_stale(self, max_age_seconds: float = 600) -> bool:
        """Whether the (validated) nonce is older than ``max_age_seconds``."""
        age = _nonce_age(self.nonce or "")
        stale = age is None or age >= max_age_seconds
        if stale and self.debug:
            _trace("nonce is stale")
        return stale

    def HA2(self, entity_body: str | bytes = "") -> str:
        """H(A2) of RFC 2617 §3.2.2.3 with this response's algorithm."""
        if self.qop is None or self.qop == qop_auth:
            a2 = f"{self.http_method}:{self.uri}"
        elif self.qop == qop_auth_int:
            a2 = f"{self.http_method}:{self.uri}:{_hex(self.algorithm, entity_body)}"
        else:  # pragma: no cover - rejected in __init__
            raise ValueError(self.errmsg("Unrecognized value for qop!"))
        return _hex(self.algorithm, a2)

    def request_digest(self, ha1: str, entity_body: str | bytes = "") -> str:
        """The digest the client should have sent, given the stored ``ha1``."""
        ha2 = self.HA2(entity_body)
        if self.qop:
            req = f"{self.nonce}:{self.nc}:{self.cnonce}:{self.qop}:{ha2}"
        else:
            req = f"{self.nonce}:{ha2}"
        if self.algorithm.endswith("-sess"):
            ha1 = _hex(self.algorithm, f"{ha1}:{self.nonce}:{self.cnonce}")
        return _hex(self.algorithm, f"{ha1}:{req}")


def _charset_declaration(charset: str) -> str:
    charset = charset.upper()
    return f', charset="{charset}"' if charset != FALLBACK_CHARSET else ""


def www_authenticate(
    realm: str,
    key: str,
    algorithm: str = "MD5",
    nonce: str | None = None,
    qop: str = qop_auth,
    stale: bool = False,
    accept_charset: str = DEFAULT_CHARSET,
) -> str:
    """A Digest challenge (one ``WWW-Authenticate`` value)."""
    if qop not in valid_qops:
        raise ValueError(f"Unsupported value for qop: '{qop}'")
    if algorithm not in valid_algorithms:
        raise ValueError(f"Unsupported value for algorithm: '{algorithm}'")
    if nonce is None:
        nonce = synthesize_nonce(realm, key)
    stale_param = ', stale="true"' if stale else ""
    return (
        f'Digest realm="{realm}", nonce="{nonce}", algorithm="{algorithm}", qop="{qop}"'
        f"{stale_param}{_charset_declaration(accept_charset)}"
    )


# ------------------------------------------------------------------------- the tool


def _add_extra_challenges(challenges: list[str]) -> None:
    # A header map holds one value per name; further challenges go straight into the
    # finalised header list (on_end_resource runs after finalize).
    response = current().response
    if response.header_list is not None:
        response.header_list.extend(("WWW-Authenticate", c) for c in challenges)


def _respond_401(
    realm: str,
    key: str,
    accept_charset: str,
    debug: bool,
    algorithms: Iterable[str] = ("MD5",),
    stale: bool = False,
) -> NoReturn:
    nonce = synthesize_nonce(realm, key)
    challenges = [
        www_authenticate(
            realm, key, algorithm=a, nonce=nonce, stale=stale, accept_charset=accept_charset
        )
        for a in algorithms
    ]
    if debug:
        _trace(" || ".join(challenges))
    slot = current()
    slot.response.headers["WWW-Authenticate"] = challenges[0]
    if len(challenges) > 1:
        slot.request.hooks.attach(
            "on_end_resource", _add_extra_challenges, challenges=challenges[1:]
        )
    raise HTTPError(401, _UNAUTHORIZED)


def uri_matches(uri: str, request: Any) -> bool:
    """Whether the digest's ``uri`` names the resource ``request`` asked for.

    The first request of an internal-redirect chain counts (the client signed its
    URI).  The path is compared percent-decoded, the query string as sent; an
    absolute URI is compared by its path and query.
    """
    while request.prev is not None:
        request = request.prev
    parts = urlsplit(uri)
    path = parts.path or "/"
    wanted: str = request.script_name + request.path_info
    if unquote(path, "utf-8") != wanted and unquote(path, "latin-1") != wanted:
        return False
    query: str = request.query_string
    return parts.query == query


def _authenticated_earlier(request: Any, username: str) -> bool:
    # After an internal redirect the same Authorization is checked again; its nonce
    # count was already spent by the first request of the chain.
    previous = request.prev
    while previous is not None:
        if previous.login == username:
            return True
        previous = previous.prev
    return False


def _lookup_ha1(get_ha1: GetHA1, realm: str, username: str, algorithm: str) -> str | None:
    base = _base_algorithm(algorithm)
    if base == "MD5":
        return get_ha1(realm, username)
    return get_ha1(realm, username, algorithm=base)


def digest_auth(
    realm: str,
    get_ha1: GetHA1,
    key: str,
    debug: bool = False,
    accept_charset: str = "utf-8",
    algorithms: Iterable[str] = ("MD5",),
    nonce_max_age: float = 600,
    require_qop: bool = True,
) -> None:
    """``tools.auth_digest``: require a valid Digest response (``before_handler``, 1).

    :param realm: the protection space.
    :param get_ha1: ``get_ha1(realm, username)`` returning the stored HA1 (hex) or
        None; for SHA-256 it is called with ``algorithm="SHA-256"``.
    :param key: a server secret for signing nonces.
    :param algorithms: the challenges offered, most preferred first: ``"MD5"``
        and/or ``"SHA-256"`` (their ``-sess`` variants are accepted too).
    :param nonce_max_age: seconds after which a nonce is stale (the client retries
        with a new one without asking the user again).
    :param require_qop: refuse RFC 2069 responses (without ``qop``), which carry no
        nonce count and so cannot be protected against replay.
    """
    offered = tuple(algorithms)
    request = current().request
    header = request.headers.get("Authorization") or ""

    def refuse(stale: bool = False) -> NoReturn:
        _respond_401(realm, key, accept_charset, debug, offered, stale)

    if not HttpDigestAuthorization.matches(header):
        refuse()
    with HTTPError.handle(ValueError, 400, "The Authorization header could not be parsed."):
        auth = HttpDigestAuthorization(
            header, request.method, debug=debug, accept_charset=accept_charset
        )
    if debug:
        _trace(str(auth))
    assert auth.username is not None and auth.response is not None
    if not uri_matches(auth.uri or "", request):
        # RFC 2617 3.2.2.5: a response made for another URI must not be accepted.
        raise HTTPError(400, auth.errmsg("uri does not match the request"))
    if _base_algorithm(auth.algorithm) not in offered or auth.qop == qop_auth_int:
        refuse()
    if require_qop and not auth.qop:
        if debug:
            _trace("response without qop refused (it cannot be protected against replay)")
        refuse()
    if auth.realm != realm or not auth.validate_nonce(realm, key):
        refuse()
    ha1 = _lookup_ha1(get_ha1, realm, auth.username, auth.algorithm)
    if ha1 is None:
        # Spend the same work as for a known user before refusing.
        _same(auth.request_digest("0" * 32), auth.response)
        refuse()
    if not _same(auth.request_digest(ha1), auth.response):
        refuse()
    if debug:
        _trace("digest matches auth.response")
    if auth.is_nonce_stale(nonce_max_age):
        refuse(stale=True)
    if (
        auth.qop
        and not _authenticated_earlier(request, auth.username)
        and not nonce_counter.accept(auth.nonce or "", auth.username, auth.nonce_count)
    ):
        if debug:
            _trace(f"nonce count {auth.nc} was already used: replay refused")
        refuse(stale=True)
    request.login = auth.username
    if debug:
        _trace(f"authentication of {auth.username} successful")


def _accepts_algorithm(get_ha1: Any) -> bool:
    try:
        parameters = inspect.signature(get_ha1).parameters
    except (TypeError, ValueError):
        return True  # cannot tell: trust the configuration
    return "algorithm" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


class DigestTool(Tool):
    """``tools.auth_digest``, checking its settings once per config."""

    def __init__(self) -> None:
        super().__init__("before_handler", digest_auth, priority=1)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        attachments = super().hooks_for(settings, priority)
        algorithms = settings.get("algorithms", ("MD5",))
        if isinstance(algorithms, str):
            algorithms = (algorithms,)
            settings["algorithms"] = algorithms
        if not algorithms:
            raise ConfigError("tools.auth_digest.algorithms: offer at least one algorithm")
        for algorithm in algorithms:
            if algorithm not in ("MD5", "SHA-256"):
                raise ConfigError(
                    f"tools.auth_digest.algorithms: {algorithm!r} is not 'MD5' or 'SHA-256'"
                )
        get_ha1 = settings.get("get_ha1")
        if any(a != "MD5" for a in algorithms) and not _accepts_algorithm(get_ha1):
            raise ConfigError(
                "tools.auth_digest.get_ha1 must accept an 'algorithm' keyword to offer "
                "SHA-256 (get_ha1_dict_plain and get_ha1_dict do)"
            )
        return attachments
