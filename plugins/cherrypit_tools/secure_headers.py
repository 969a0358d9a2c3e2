"""Security response headers: ``tools.secure_headers`` (not in CherryPy).

Adds, to every response of the paths where it is on (error pages included):
``Strict-Transport-Security`` (only over https, where browsers honour it),
``Content-Security-Policy`` (when configured), ``X-Content-Type-Options: nosniff``,
``X-Frame-Options`` and ``Referrer-Policy``.  A header the application already set
is left as it is, so one page can loosen or tighten a policy.  Runs at
``before_finalize`` (priority 90) and ``after_error_response``.
"""

from __future__ import annotations

from typing import Any

from cherrypit import ConfigError, Tool
from cherrypit.plugin import Attachment, current

__all__ = ["SecureHeaders", "SecureHeadersTool"]

_ONE_YEAR = 31536000
_FRAME_OPTIONS = ("DENY", "SAMEORIGIN")


class SecureHeaders:
    """One path's security headers, computed once when its config is planned.

    :param hsts_max_age: seconds for ``Strict-Transport-Security`` (sent on https
        only; 0 or None: not sent).
    :param include_subdomains: add ``includeSubDomains`` to HSTS.
    :param preload: add ``preload`` to HSTS (needs ``include_subdomains`` and a
        max-age of at least a year, as the preload list requires).
    :param csp: the ``Content-Security-Policy`` value (None: not sent).
    :param nosniff: send ``X-Content-Type-Options: nosniff``.
    :param frame_options: ``"DENY"`` or ``"SAMEORIGIN"`` (None: not sent).
    :param referrer_policy: the ``Referrer-Policy`` value (None: not sent).
    :raises cherrypit.ConfigError: for values browsers would ignore.
    """

    def __init__(
        self,
        hsts_max_age: int | None = _ONE_YEAR,
        include_subdomains: bool = False,
        preload: bool = False,
        csp: str | None = None,
        nosniff: bool = True,
        frame_options: str | None = "SAMEORIGIN",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        debug: bool = False,
    ) -> None:
        self.hsts: str | None = None
        if hsts_max_age:
            if int(hsts_max_age) < 0:
                raise ConfigError("tools.secure_headers.hsts_max_age must be >= 0")
            parts = [f"max-age={int(hsts_max_age)}"]
            if include_subdomains:
                parts.append("includeSubDomains")
            if preload:
                if not include_subdomains or int(hsts_max_age) < _ONE_YEAR:
                    raise ConfigError(
                        "tools.secure_headers.preload needs include_subdomains and "
                        f"hsts_max_age >= {_ONE_YEAR}"
                    )
                parts.append("preload")
            self.hsts = "; ".join(parts)
        elif preload:
            raise ConfigError("tools.secure_headers.preload needs hsts_max_age")
        if frame_options is not None and frame_options.upper() not in _FRAME_OPTIONS:
            raise ConfigError(
                f"tools.secure_headers.frame_options must be one of {_FRAME_OPTIONS} or None, "
                f"not {frame_options!r}"
            )
        self.always: list[tuple[str, str]] = []
        if csp:
            self.always.append(("Content-Security-Policy", csp))
        if nosniff:
            self.always.append(("X-Content-Type-Options", "nosniff"))
        if frame_options:
            self.always.append(("X-Frame-Options", frame_options.upper()))
        if referrer_policy:
            self.always.append(("Referrer-Policy", referrer_policy))

    def apply(self) -> None:
        """Add the headers the response does not have yet."""
        slot = current()
        headers = slot.response.headers
        for name, value in self.always:
            headers.setdefault(name, value)
        if self.hsts and slot.request.base.startswith("https://"):
            headers.setdefault("Strict-Transport-Security", self.hsts)


class SecureHeadersTool(Tool):
    """``tools.secure_headers``, configured per path like any tool."""

    def __init__(self) -> None:
        super().__init__("before_finalize", SecureHeaders, priority=90)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        policy = SecureHeaders(**settings)
        return [
            Attachment(self._point, policy.apply, priority),
            Attachment("after_error_response", policy.apply, 50),
        ]
