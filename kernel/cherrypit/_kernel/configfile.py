"""Reading CherryPy-style INI config files, whose values are Python expressions.

``[global]`` and ``[/path]`` sections; every value is a Python expression such as
``8080``, ``"text"``, ``[1, 2]``, ``6 * 7`` or ``cherrypy.dispatch.MethodDispatcher()``.
Like CherryPy, names are resolved from builtins or imported as modules, so a config
file is trusted code: never load one from an untrusted source.  ``%(key)s``
interpolation between keys of a file works as in :mod:`configparser`.
"""

from __future__ import annotations

import ast
import builtins
import configparser
import importlib
import operator
import os
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from cherrypit._kernel.errors import ConfigError

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_UNARYOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


def modules(modulePath: str) -> Any:  # CherryPy's parameter name, for keyword callers
    """Import and return the module named ``modulePath`` (``lib.reprconf.modules``)."""
    return importlib.import_module(modulePath)


def attributes(full_attribute_name: str) -> Any:
    """The object named by a dotted path such as ``"package.module.attr"``.

    ``lib.reprconf.attributes``: the module part is imported first.
    """
    module_name, _, attr = full_attribute_name.rpartition(".")
    if not module_name:
        raise ImportError(f"{full_attribute_name!r} is not a dotted name")
    return getattr(modules(module_name), attr)


def _resolve_name(name: str) -> Any:
    """A bare name: a builtin, or an importable top-level module.

    Config files written for CherryPy name ``cherrypy.…``; when the real CherryPy is
    not installed that name means cherrypit.
    """
    if hasattr(builtins, name):
        return getattr(builtins, name)
    try:
        return modules(name)
    except ImportError:
        if name == "cherrypy":
            return importlib.import_module("cherrypit")
        raise NameError(f"name {name!r} is neither a builtin nor an importable module") from None


def _attribute(node: ast.Attribute) -> Any:
    # Walk dotted names left to right, importing submodules as needed so that
    # ``cherrypy.lib.static.serve_file`` works without earlier imports.
    parts: list[str] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if not isinstance(cur, ast.Name):
        return getattr(_evaluate(node.value), node.attr)
    parts.append(cur.id)
    parts.reverse()
    obj = _resolve_name(parts[0])
    dotted = parts[0]
    if parts[0] == "cherrypy" and getattr(obj, "__name__", "") == "cherrypit":
        dotted = "cherrypit"
    for part in parts[1:]:
        dotted += "." + part
        if hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            obj = importlib.import_module(dotted)
    return obj


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_evaluate(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(e) for e in node.elts)
    if isinstance(node, ast.Set):
        return {_evaluate(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:  # {**mapping}
                result.update(_evaluate(v))
            else:
                result[_evaluate(k)] = _evaluate(v)
        return result
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARYOPS:
        return _UNARYOPS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Name):
        return _resolve_name(node.id)
    if isinstance(node, ast.Attribute):
        return _attribute(node)
    if isinstance(node, ast.Call):
        func = _evaluate(node.func)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(_evaluate(arg.value))
            else:
                args.append(_evaluate(arg))
        # As CherryPy reads config files: a keyword written out wins over the same
        # key from a ``**mapping``, wherever either stands (no duplicate-key error).
        kwargs: dict[str, Any] = {}
        unpacked: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:  # **mapping
                for key, value in _evaluate(kw.value).items():
                    unpacked.setdefault(key, value)
            else:
                kwargs[kw.arg] = _evaluate(kw.value)
        kwargs = {**unpacked, **kwargs}
        return func(*args, **kwargs)
    if isinstance(node, ast.Subscript):
        return _evaluate(node.value)[_evaluate(node.slice)]
    raise ValueError(f"unsupported expression: {ast.dump(node)[:60]}")


def unrepr(s: str) -> Any:  # CherryPy's parameter name, for keyword callers
    """Evaluate one config value.  An empty value is ``None``."""
    text = s.strip()
    if not text:
        return None
    tree = ast.parse(text, mode="eval")
    return _evaluate(tree)


class Parser(configparser.ConfigParser):
    """Reads config files: keeps the case of keys and evaluates values with :func:`unrepr`.

    This is ``cherrypit.lib.reprconf.Parser``.  Every config file the kernel reads goes
    through :meth:`dict_from_file` and :meth:`as_dict`, looked up on the class at call
    time, so an application that replaces them changes how its config files are read.
    """

    # No __init__ of its own: ConfigParser's arguments (and its default
    # BasicInterpolation) apply, as they do to CherryPy's Parser.
    #: The file last read, named in error messages.
    source_name = "<config>"

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
            self.source_name = name
            done.append(name)
        return done

    def as_dict(
        self, raw: bool = False, vars: Mapping[str, str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """``{section: {key: value}}`` with every value evaluated by :func:`unrepr`.

        :raises ConfigError: naming the file, section and key of a value that cannot
            be evaluated.
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
                        f"{self.source_name}: [{section}] {option} = {text!r}: cannot "
                        f"evaluate value (config values are Python expressions): "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
        return result

    def dict_from_file(self, file: str | os.PathLike[str] | IO[str]) -> dict[str, dict[str, Any]]:
        """Read a filename or an open file and return :meth:`as_dict`."""
        if isinstance(file, (str, os.PathLike)):
            self.read(file)
        else:
            name = str(getattr(file, "name", "<config>"))
            self.read_file(file, source=name)
            self.source_name = name
        return self.as_dict()

    @classmethod
    def load(
        cls,
        input: Mapping[str, Any] | str | os.PathLike[str] | IO[str],
    ) -> dict[str, Any]:
        """A dict from a dict (copied), a filename or an open file."""
        if isinstance(input, Mapping):
            return dict(input)
        return cls().dict_from_file(input)


def parse(source: str | os.PathLike[str] | IO[str]) -> dict[str, dict[str, Any]]:
    """Read a config file (path or open text file) into ``{section: {key: value}}``.

    Raises :class:`ConfigError` naming the file, section and key of a bad value.
    """
    return Parser().dict_from_file(source)


def as_dict(config: str | os.PathLike[str] | IO[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Accept a dict, a filename or an open file; return a dict."""
    if isinstance(config, Mapping):
        return dict(config)
    return parse(config)
