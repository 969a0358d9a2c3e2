"""What ``run`` and ``routes`` serve: the TARGET, loaded and mounted on ``cherrypit.tree``.

The shapes an application comes in:

* ``module:Root`` — a root object (or a class, instantiated), mounted at ``/`` with the
  module's own ``config`` (a dict of sections or a config file name) when it has one,
  exactly as ``quickstart(Root(), config=config)`` in that module would;
* ``module:make_app()`` — a factory, called without arguments; it returns any of these
  shapes, or ``None`` after mounting into ``cherrypit.tree`` itself;
* ``module:app`` — an :class:`~cherrypit.Application` (mounted at its script name) or a
  plain WSGI callable (grafted at ``/``);
* ``module`` or ``module:application`` naming ``cherrypit.tree`` — the module mounts its
  applications when imported;
* ``path/to/app.py`` — a script, run as ``__main__`` (see :func:`run_script`).
"""

from __future__ import annotations

import importlib
import inspect
import os
import runpy
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from cherrypit._kernel import site
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.tree import Application, Tree

__all__ = [
    "Target",
    "TargetError",
    "is_exposed",
    "load_target",
    "mount_target",
    "run_script",
]


class TargetError(Exception):
    """The TARGET of ``run``/``routes`` cannot be loaded; the message says why.

    :param cause: the application's own exception, whose location is shown.
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass
class Target:
    """What a TARGET names: a script path, or an object (or factory) from a module."""

    spec: str
    script: str | None = None
    obj: Any = None
    module: ModuleType | None = None
    #: ``module:make_app()``: ``obj`` is to be called.
    factory: bool = False
    #: ``module`` alone: importing it mounted the applications.
    mounts_itself: bool = False


def _split_target(spec: str) -> tuple[str, str | None]:
    """``"a/b.py:attr"`` → ``("a/b.py", "attr")``; a Windows drive colon is not a split."""
    head, sep, tail = spec.rpartition(":")
    drive_letter = len(head) == 1 and head.isalpha()
    if sep and head and tail and not drive_letter and not any(c in tail for c in "/\\"):
        return head, tail
    return spec, None


def _import_module(name: str) -> ModuleType:
    if os.getcwd() not in sys.path and "" not in sys.path:
        # Like ``python -m``: modules in the working directory are importable.
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise TargetError(f"cannot find module {name!r}") from None
        raise TargetError(f"importing {name!r} failed: {type(exc).__name__}: {exc}", exc) from exc
    except Exception as exc:
        raise TargetError(f"importing {name!r} failed: {type(exc).__name__}: {exc}", exc) from exc


def _load_file_module(path: str) -> ModuleType:
    """Execute ``path`` as a module not named ``__main__`` (its main block does not run)."""
    name = "_cherrypit_target_" + os.path.splitext(os.path.basename(path))[0]
    try:
        namespace = runpy.run_path(path, run_name=name)
    except Exception as exc:
        raise TargetError(f"loading {path!r} failed: {type(exc).__name__}: {exc}", exc) from exc
    module = ModuleType(name)
    module.__dict__.update(namespace)
    return module


def _attribute(owner: Any, dotted: str, where: str) -> Any:
    obj = owner
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(f"{where} has no attribute {dotted!r}") from None
    return obj


def _from_module(spec: str, module: ModuleType, attr: str, where: str) -> Target:
    factory = attr.endswith("()")
    name = attr[:-2] if factory else attr
    obj = _attribute(module, name, where)
    if factory and not callable(obj):
        raise TargetError(f"{spec!r}: {name!r} is not callable")
    return Target(spec, obj=obj, module=module, factory=factory)


def load_target(spec: str) -> Target:
    """Resolve TARGET: ``module[:attr]``, ``path/to/file.py`` or ``path/to/file.py:attr``.

    ``attr`` ending in ``()`` names a factory.  A bare script path is not executed here
    (see :func:`run_script`).

    :raises TargetError: with a one-line explanation.
    """
    location, attr = _split_target(spec)
    if location.endswith(".py") or os.sep in location or "/" in location:
        if not os.path.isfile(location):
            raise TargetError(f"no such file: {location!r}")
        if attr is None:
            return Target(spec, script=os.path.abspath(location))
        return _from_module(spec, _load_file_module(location), attr, repr(location))
    module = _import_module(location)
    if attr is None:
        return Target(spec, module=module, mounts_itself=True)
    return _from_module(spec, module, attr, f"module {location!r}")


def is_exposed(obj: Any) -> bool:
    """Whether ``obj`` (a method: its function) is marked ``exposed``, read without running code."""
    if inspect.ismethod(obj):
        obj = obj.__func__
    try:
        return bool(inspect.getattr_static(obj, "exposed", False))
    except Exception:
        return False


def _looks_like_wsgi(obj: Any) -> bool:
    """A callable taking ``(environ, start_response)`` that is not a page handler."""
    if is_exposed(obj) or not callable(obj) or inspect.isclass(obj):
        return False
    if any(is_exposed(getattr(obj, n, None)) for n in ("index", "default")):
        return False
    try:
        inspect.signature(obj).bind({}, None)
    except (TypeError, ValueError):
        return False
    return True


def _call(func: Any, what: str) -> Any:
    try:
        return func()
    except Exception as exc:
        raise TargetError(f"{what} failed: {type(exc).__name__}: {exc}", exc) from exc


def module_config(module: ModuleType | None) -> Any:
    """The module's ``config``, when it is an application config (sections, or a file)."""
    config = getattr(module, "config", None) if module is not None else None
    if isinstance(config, Mapping):
        if config and all(
            isinstance(k, str) and (k.startswith("/") or k == "global") for k in config
        ):
            return config
        return None
    if isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
        here = os.path.dirname(getattr(module, "__file__", None) or "")
        for candidate in (path, os.path.join(here, path)):
            if os.path.isfile(candidate):
                return candidate
    return None


def _path_sections(paths: Sequence[str]) -> list[dict[str, Any]]:
    """The ``[/path]`` sections of each config file (the ``[global]`` part is the site's)."""
    out = []
    for path in paths:
        data = as_dict(path)
        out.append({k: v for k, v in data.items() if k.startswith("/")})
    return out


def merge_into_apps(configs: Sequence[str], apps: Sequence[Any]) -> None:
    """Merge the ``[/path]`` sections of the config files into each Application."""
    for conf in _path_sections(configs):
        if conf:
            for app in apps:
                if isinstance(app, Application):
                    app.merge(conf)


def _mounted_apps(spec: str, what: str) -> list[Any]:
    apps = list(site.tree.apps.values())
    if not apps:
        raise TargetError(
            f"{what} mounted no application on cherrypit.tree; name the root object "
            f"instead (e.g. {spec.split(':')[0]}:Root)"
        )
    return apps


def mount_target(target: Target, configs: Sequence[str] = ()) -> None:
    """Mount a resolved TARGET on ``cherrypit.tree``, then apply the ``-c`` files.

    A ``-c`` file's ``[global]`` section goes to the site after the module's own
    config (so the file wins), its ``[/path]`` sections to the application(s).
    """
    obj = target.obj
    if target.mounts_itself:
        apps = _mounted_apps(target.spec, f"importing {target.spec!r}")
    else:
        if target.factory:
            obj = _call(obj, f"calling {target.spec!r}")
        apps = _mount_object(obj, target)
    for path in configs:
        site.config.update(path)
    merge_into_apps(configs, apps)


def _mount_object(obj: Any, target: Target) -> list[Any]:
    if isinstance(obj, Tree) or (obj is None and target.factory):
        return _mounted_apps(target.spec, repr(target.spec))
    if isinstance(obj, Application):
        if site.tree.apps.get(obj.script_name) is not obj:
            site.tree.mount(obj)
        return [obj]
    if _looks_like_wsgi(obj):
        site.tree.graft(obj, "")
        return []
    root = _call(obj, f"instantiating {target.spec!r}") if inspect.isclass(obj) else obj
    config = module_config(target.module)
    if config is not None:
        # What quickstart(root, config=config) does: [global] to the site, sections to the app.
        site.config.update(config)
    return [site.tree.mount(root, "", config)]


def run_script(path: str) -> None:
    """Run ``path`` as ``__main__``, like ``python path`` would.

    :raises TargetError: when the script imports CherryPy and the alias is off.
    """
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except ModuleNotFoundError as exc:
        if exc.name == "cherrypy" or (exc.name or "").startswith("cherrypy."):
            raise TargetError(
                f"{path} imports {exc.name!r}, which is not installed; add --as-cherrypy "
                "to run it on cherrypit"
            ) from None
        raise
