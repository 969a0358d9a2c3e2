"""The opt-in ``import cherrypy`` alias: run unchanged CherryPy code on cherrypit.

After :func:`install_cherrypy_alias`, ``import cherrypy`` and any ``cherrypy.x.y``
import give the matching ``cherrypit`` module — the very same object, registered under
both names in :data:`sys.modules`::

    from cherrypit.compat import install_cherrypy_alias

    install_cherrypy_alias()
    import cherrypy                              # cherrypit
    from cherrypy.lib.httputil import HeaderMap  # cherrypit.lib.httputil.HeaderMap

A ``cherrypy.x`` with no ``cherrypit.x`` module falls back to the attribute ``x`` of
the parent package (names that plugins provide, for instance).

The alias is never installed implicitly (``cherrypit run --as-cherrypy`` and this API
are the only ways in), and it refuses to shadow a real CherryPy that is already
imported: mixing the two in one process would give two engines and two trees.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

__all__ = ["alias_installed", "install_cherrypy_alias", "uninstall_cherrypy_alias"]

ALIAS = "cherrypy"
TARGET = "cherrypit"

_lock = threading.Lock()


def _target_name(fullname: str) -> str | None:
    """``cherrypy.a.b`` → ``cherrypit.a.b``; ``None`` for names outside the alias."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an object that already exists under the cherrypit name.

    :param real_spec: the target's own spec, taken before the import system replaces
        the target's ``__spec__`` with the alias spec; it is put back after loading.
    """

    def __init__(self, target: Any, real_spec: importlib.machinery.ModuleSpec | None) -> None:
        self.target = target
        self.real_spec = real_spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        # Returning the existing object makes it the module: the import system keeps
        # its __name__, __path__ and __file__ since they are already set.
        return self.target

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the cherrypit module was executed under its own name.

        The import system has just set ``__spec__`` to the alias spec; the module keeps
        its own, so ``importlib.reload`` and ``runpy`` still find its code.
        """
        if self.real_spec is not None:
            module.__spec__ = self.real_spec

    def get_code(self, fullname: str) -> types.CodeType | None:
        """The target's code, so that ``python -m cherrypy`` can run it.

        :mod:`runpy` executes a module's code afresh as ``__main__`` instead of
        importing it, and the alias name has no code of its own.
        """
        loader = getattr(self.real_spec, "loader", None)
        get_code = getattr(loader, "get_code", None)
        if self.real_spec is None or get_code is None:
            raise ImportError(f"cannot run {fullname!r}: its target has no code", name=fullname)
        code: types.CodeType | None = get_code(self.real_spec.name)
        return code

    def is_package(self, fullname: str) -> bool:
        """Whether the target is a package (``runpy`` then runs its ``__main__``)."""
        return hasattr(self.target, "__path__")


def _own_spec(obj: Any) -> importlib.machinery.ModuleSpec | None:
    """``obj``'s spec as its own loader made it, never an alias spec."""
    spec = getattr(obj, "__spec__", None)
    if not isinstance(spec, importlib.machinery.ModuleSpec):
        return None
    if isinstance(spec.loader, _AliasLoader):
        return spec.loader.real_spec
    return spec


class CherrypyAliasFinder(importlib.abc.MetaPathFinder):
    """A meta-path finder mapping ``cherrypy[.*]`` onto ``cherrypit[.*]``."""

    def __init__(self) -> None:
        #: Alias name → object, for each ``sys.modules`` entry this finder created.
        self.created: dict[str, Any] = {}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        real = _target_name(fullname)
        if real is None:
            return None
        obj = _resolve(real)
        if obj is None:
            return None  # the import system raises ModuleNotFoundError for the alias name
        self.created[fullname] = obj
        real_spec = _own_spec(obj)
        origin = getattr(real_spec, "origin", None)
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(obj, real_spec),
            origin=origin,
            is_package=hasattr(obj, "__path__"),
        )
        if spec.submodule_search_locations is not None:
            spec.submodule_search_locations = list(obj.__path__)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing is cached here; part of the finder protocol."""


def _resolve(real: str) -> Any:
    """The module ``real``, or the attribute of its parent package; ``None`` if neither."""
    if real in sys.modules:
        return sys.modules[real]
    try:
        spec = importlib.util.find_spec(real)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        return importlib.import_module(real)
    parent_name, _, child = real.rpartition(".")
    if not parent_name:
        return None
    parent = sys.modules.get(parent_name)
    if parent is None:
        return None
    try:
        return getattr(parent, child)
    except AttributeError:
        return None


def _finder() -> CherrypyAliasFinder | None:
    for finder in sys.meta_path:
        if isinstance(finder, CherrypyAliasFinder):
            return finder
    return None


def alias_installed() -> bool:
    """Whether :func:`install_cherrypy_alias` is in effect."""
    return _finder() is not None


def install_cherrypy_alias() -> None:
    """Make ``import cherrypy`` (and ``cherrypy.*``) load cherrypit; idempotent.

    :raises RuntimeError: when the real CherryPy is already imported in this process.
    """
    with _lock:
        if _finder() is not None:
            return
        existing = sys.modules.get(ALIAS)
        if existing is not None and existing is not sys.modules.get(TARGET):
            where = getattr(existing, "__file__", None) or repr(existing)
            raise RuntimeError(
                f"cannot alias 'cherrypy' to cherrypit: the real CherryPy is already "
                f"imported ({where}). Install the alias before anything imports cherrypy, "
                "or run the application with `cherrypit run --as-cherrypy`."
            )
        sys.meta_path.insert(0, CherrypyAliasFinder())


def uninstall_cherrypy_alias() -> None:
    """Remove the alias and the ``cherrypy*`` entries it put into ``sys.modules``.

    Modules that already did ``import cherrypy`` keep the cherrypit objects they hold.
    """
    with _lock:
        finder = _finder()
        if finder is None:
            return
        sys.meta_path.remove(finder)
        for name, obj in finder.created.items():
            if sys.modules.get(name) is obj:
                del sys.modules[name]
