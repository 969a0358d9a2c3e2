"""Declared settings: what a plugin (or the kernel) accepts under a config-key prefix.

A :class:`Settings` names the settings under one prefix (``"server"``,
``"tools.sessions"``), an optional check per value, and what a name outside the
list means.  Plugins declare theirs through the ``cherrypit_settings`` hook; the
start-up check (:mod:`cherrypit._kernel.configcheck`) reads every mounted config
through these declarations, so third-party plugins get the same validation as the
built-in ones and the kernel knows no plugin's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from cherrypit._kernel.errors import ConfigError

__all__ = ["REFUSE", "WARN", "Settings", "ValueCheck"]

#: Checks one value: raise ``TypeError``, ``ValueError`` or :class:`ConfigError` to
#: refuse it (the message is reported after the full key).
ValueCheck = Callable[[Any], object]

#: Unknown names would break every request (a function tool given an argument it
#: does not take): refused at start-up.
REFUSE: Literal["refuse"] = "refuse"
#: Unknown names are accepted (stored as attributes, as CherryPy does) but are
#: probably misspelt: a start-up warning with a did-you-mean (an error under
#: ``checker.strict``).
WARN: Literal["warn"] = "warn"

Unknown = Literal["refuse", "warn", "allow"]


class Settings:
    """The settings under one key prefix.

    :param names: the setting names, or a mapping of name → :data:`ValueCheck`
        (``None``: any value).
    :param unknown: what a name not listed means: :data:`REFUSE`, :data:`WARN`, or
        ``"allow"`` (free-form, never reported).
    :param nested: names may carry one more dotted part in front
        (``server.<name>.socket_port``); the last part is the setting.
    :param check: called with all the settings of one config where they apply
        (``{name: value}``, e.g. a tool's settings where it is on); raise
        :class:`ConfigError` naming the key for a combination that cannot work, or
        return warnings (one line each, starting with the key).
    :param what: how messages call one setting (``"server setting"``).
    """

    __slots__ = ("check", "names", "nested", "unknown", "what")

    def __init__(
        self,
        names: Mapping[str, ValueCheck | None] | Iterable[str],
        *,
        unknown: Unknown = WARN,
        nested: bool = False,
        check: Callable[[Mapping[str, Any]], Iterable[str] | None] | None = None,
        what: str = "setting",
    ) -> None:
        self.names: dict[str, ValueCheck | None] = (
            dict(names) if isinstance(names, Mapping) else dict.fromkeys(names)
        )
        self.unknown: Unknown = unknown
        self.nested = nested
        self.check = check
        self.what = what

    def setting_name(self, rest: str) -> str:
        """The setting a key's remainder (after the prefix) names."""
        return rest.rsplit(".", 1)[-1] if self.nested else rest

    def check_value(self, key: str, name: str, value: Any) -> None:
        """Run the declared check of ``name`` (raises :class:`ConfigError` naming ``key``)."""
        check = self.names.get(name)
        if check is None:
            return
        try:
            check(value)
        except ConfigError as exc:
            message = str(exc)
            raise ConfigError(message if message.startswith(key) else f"{key}: {message}") from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key}: {exc}") from None
