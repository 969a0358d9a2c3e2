"""CherryPy's ``cherrypy.lib.reprconf`` import path: INI files with Python values.

:class:`Parser` is a :class:`configparser.ConfigParser` that keeps the case of keys and
evaluates each value with :func:`unrepr` (see :mod:`cherrypit._kernel.configfile`).
Config files are code: load them only from trusted places.
"""

from __future__ import annotations

import configparser
import importlib
import os
from collections.abc import Iterable, Mapping
from typing import IO, Any

from cherrypit._kernel.config import Config as Config
from cherrypit._kernel.config import NamespaceSet as NamespaceSet
from cherrypit._kernel.configfile import as_dict as as_dict
from cherrypit._kernel.configfile import unrepr as unrepr
from cherrypit._kernel.errors import ConfigError

__all__ = ["Config", "NamespaceSet", "Parser", "as_dict", "attributes", "modules", "unrepr"]


class Parser(configparser.ConfigParser):
    """A config-file reader whose :meth:`as_dict` evaluates values as Python."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr

    def read(  # type: ignore[override]
        self,
        filenames: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        encoding: str | None = "utf-8",
    ) -> list[str]:
        """Read ``filenames``; unlike ConfigParser, a missing file is an error."""
        if isinstance(filenames, (str, os.PathLike)):
            filenames = [filenames]
        done = []
        for filename in filenames:
            name = os.fspath(filename)
            if not os.path.exists(name):
                raise ConfigError(f"config file not found: {name}")
            with open(name, encoding=encoding) as fp:
                self.read_file(fp, source=name)
            done.append(name)
        return done

    def as_dict(
        self, raw: bool = False, vars: Mapping[str, str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """``{section: {key: value}}`` with every value evaluated by :func:`unrepr`.

        :raises ConfigError: naming the section and key of a value that cannot be read.
        """
        result: dict[str, dict[str, Any]] = {}
        for section in self.sections():
            values = result.setdefault(section, {})
            for option in self.options(section):
                text = self.get(section, option, raw=raw, vars=vars)
                try:
                    values[option] = unrepr(text)
                except Exception as exc:
                    raise ConfigError(
                        f"[{section}] {option} = {text!r}: config values must be Python "
                        f"expressions ({type(exc).__name__}: {exc})"
                    ) from exc
        return result

    def dict_from_file(self, file: str | os.PathLike[str] | IO[str]) -> dict[str, dict[str, Any]]:
        """Read a filename or an open file and return :meth:`as_dict`."""
        if isinstance(file, (str, os.PathLike)):
            self.read(file)
        else:
            self.read_file(file)
        return self.as_dict()

    @classmethod
    def load(cls, source: Mapping[str, Any] | str | os.PathLike[str] | IO[str]) -> dict[str, Any]:
        """A dict from a dict (copied), a filename or an open file."""
        if isinstance(source, Mapping):
            return dict(source)
        return cls().dict_from_file(source)


def modules(module_path: str) -> Any:
    """Import and return the module named ``module_path``."""
    return importlib.import_module(module_path)


def attributes(full_attribute_name: str) -> Any:
    """The object named by a dotted path such as ``"package.module.attr"``."""
    module_name, _, attr = full_attribute_name.rpartition(".")
    if not module_name:
        raise ImportError(f"{full_attribute_name!r} is not a dotted name")
    return getattr(importlib.import_module(module_name), attr)
