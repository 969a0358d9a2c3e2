"""CherryPy's ``cherrypy._cpconfig`` import path: ``Config``, ``environments``, ``merge``."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.config import Config as Config
from cherrypit._kernel.config import environments as environments
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.errors import ConfigError

__all__ = ["Config", "environments", "merge"]


def merge(
    base: MutableMapping[str, Any],
    other: Mapping[str, Any] | str | os.PathLike[str] | IO[str],
) -> None:
    """Merge application config ``other`` (dict, filename or open file) into ``base``.

    Both are ``{"/path": {key: value}}`` mappings; sections are updated key by key.
    A filename is remembered in ``cherrypit.config.files`` so a reloader can watch it.

    :raises ConfigError: (a ``ValueError``) when ``other`` has a value outside a section.
    """
    if isinstance(other, (str, os.PathLike)):
        from cherrypit._kernel import site

        site.config.files.append(os.fspath(other))
    data = as_dict(other) if not isinstance(other, Mapping) else dict(other)
    for section, values in data.items():
        if not isinstance(values, Mapping):
            raise ConfigError(
                "application config needs section headers: wrap it in a dict keyed by "
                f"path, e.g. {{'/': config}} (got key {section!r})"
            )
        base.setdefault(section, {}).update(values)
