"""Object dispatch: the URL path is a walk through attributes of the root object.

``/a/b/c`` looks up ``root.a.b.c``; ``index`` serves a path ending in ``/`` (or the
node itself), ``default`` catches what is left, remaining segments become positional
arguments and query/body parameters keyword arguments.  ``_cp_dispatch(vpath)`` lets a
node choose the next node, and :func:`popargs` turns segments into parameters.

The dispatcher returns the handler plus the *config trail*: the ``_cp_config`` dicts
of the nodes walked and the application's ``[/path]`` sections met on the way.  The
application merges a trail once and caches the result (see ``plan.py``).
"""

from __future__ import annotations

import inspect
import string
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator
from types import MethodType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from cherrypit._kernel import serving
from cherrypit._kernel.errors import CherryPyException, HTTPError, NotFound
from cherrypit._kernel.httputil import urljoin
from cherrypit._kernel.proxy import DEFAULT_TRUSTED, is_trusted

if TYPE_CHECKING:
    from cherrypit._kernel.request import Request, Response
    from cherrypit._kernel.tree import Application

__all__ = [
    "Dispatcher",
    "LateParamPageHandler",
    "MethodDispatcher",
    "PageHandler",
    "RoutesDispatcher",
    "VirtualHost",
    "expose",
    "getargspec",
    "popargs",
    "test_callable_spec",
    "validate_translator",
]

_PUNCTUATION_TO_UNDERSCORE = str.maketrans(string.punctuation, "_" * len(string.punctuation))


def validate_translator(t: object) -> None:
    """Refuse a ``translate`` table that is not a dict (what ``str.maketrans`` returns).

    :raises ValueError: otherwise; as in CherryPy, a bad table fails when the
        dispatcher is made, not on the first request.
    """
    if not isinstance(t, dict):
        raise ValueError("The translate argument must be a dict (see str.maketrans).")


def getargspec(
    callable: Callable[..., Any],
) -> tuple[list[str], str | None, str | None, tuple[Any, ...] | None]:
    """``(args, varargs, varkw, defaults)`` of ``callable``: the shape CherryPy's
    dispatch module offers in place of the removed ``inspect.getargspec``."""
    spec = inspect.getfullargspec(callable)
    return spec.args, spec.varargs, spec.varkw, spec.defaults


# --- exposing handlers -----------------------------------------------------------------


_T = TypeVar("_T")


@overload
def expose(func: str | list[str] | tuple[str, ...], alias: None = None) -> Callable[[_T], _T]: ...
@overload
def expose(func: None = None, alias: str | Iterable[str] | None = None) -> Callable[[_T], _T]: ...
@overload
def expose(func: _T, alias: str | Iterable[str] | None = None) -> _T: ...
def expose(func: Any = None, alias: str | Iterable[str] | None = None) -> Any:
    """Mark a function, method or class as reachable by URL.

    ``@expose``, ``@expose()``, ``@expose("other_name")`` and
    ``@expose(["a", "b"])`` all work; aliases add more URL names for the handler in
    the class body where the decorator is used (``.`` in an alias becomes ``_``).
    """
    if isinstance(func, (str, list, tuple)):
        alias, func = func, None
    if func is not None and alias is None:
        func.exposed = True
        return func
    # Aliases are written into the namespace of the class being defined: the caller.
    namespace = sys._getframe(1).f_locals

    def mark(f: Any) -> Any:
        f.exposed = True
        if alias is not None:
            for name in [alias] if isinstance(alias, str) else alias:
                namespace[name.replace(".", "_")] = f
        return f

    return mark(func) if func is not None else mark


def popargs(*args: str, handler: Any = None) -> Any:
    """Pop leading path segments into the named request parameters.

    Use as a class decorator (``@popargs("year", "month")``) or assign the result to a
    class's ``_cp_dispatch``.  With ``handler``, dispatch continues on that object;
    a callable handler (function or class) is called with the popped values instead
    and its result is the next node.
    """
    names = list(args)
    call_handler = handler is not None and (callable(handler) or inspect.isclass(handler))

    def decorated(cls_or_self: Any = None, vpath: list[str] | None = None) -> Any:
        if inspect.isclass(cls_or_self):
            setattr(cls_or_self, Dispatcher.dispatch_method_name, decorated)
            return cls_or_self
        segments = vpath if vpath is not None else []
        popped: dict[str, str] = {}
        for name in names:
            if not segments:
                break
            popped[name] = segments.pop(0)
        if call_handler:
            return handler(**popped)
        # _cp_dispatch(vpath) gets no request (CherryPy's signature): the current one.
        serving.ambient().request.params.update(popped)
        if handler is not None:
            return handler
        # This node is the final handler: resolve what is left by attribute, so that
        # our own _cp_dispatch is not consulted again for the next segment.
        if segments:
            return getattr(cls_or_self, segments.pop(0), None)
        return cls_or_self

    return decorated


# --- calling handlers ------------------------------------------------------------------


class PageHandler:
    """A page handler bound to its positional path arguments."""

    __slots__ = ("args", "callable", "kwargs")

    def __init__(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.callable = callable
        self.args = args
        self.kwargs = kwargs

    def __call__(self) -> Any:
        try:
            return self.callable(*self.args, **self.kwargs)
        except TypeError:
            exc = sys.exc_info()[1]
            try:
                test_callable_spec(self.callable, self.args, self.kwargs)
            except HTTPError:
                raise
            except Exception:
                raise exc from None  # type: ignore[misc]
            raise


class LateParamPageHandler(PageHandler):
    """A page handler that takes its keyword arguments from ``request.params`` at call time.

    Body parameters are parsed after dispatch, so the parameters are read when the
    handler is finally called.
    """

    __slots__ = ("_request",)

    def __init__(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.callable = callable
        self.args = args
        self.kwargs = kwargs
        self._request: weakref.ref[Request] | None = None

    @property
    def request(self) -> Request | None:
        """The request whose parameters the handler gets (``None``: the current one).

        Held weakly: the request holds its handler, and a cycle would keep every
        request alive until the garbage collector runs.
        """
        ref = self._request
        return ref() if ref is not None else None

    @request.setter
    def request(self, request: Request | None) -> None:
        self._request = weakref.ref(request) if request is not None else None

    def __call__(self) -> Any:
        ref = self._request
        request = (ref() if ref is not None else None) or serving.ambient().request
        kwargs = request.params
        if self.kwargs:
            kwargs = {**kwargs, **self.kwargs}
        try:
            return self.callable(*self.args, **kwargs)
        except TypeError:
            exc = sys.exc_info()[1]
            try:
                test_callable_spec(self.callable, self.args, kwargs, request)
            except HTTPError:
                raise
            except Exception:
                raise exc from None  # type: ignore[misc]
            raise


def _signature_parts(
    func: Callable[..., Any],
) -> tuple[list[str], list[str], bool, bool, list[str]]:
    """(positional names, keyword-only names, has *args, has **kwargs, names with defaults).

    The signature is ``func``'s own, not that of what it wraps (``functools.wraps``):
    a wrapper taking ``*args, **kwargs`` accepts anything, so a ``TypeError`` from
    deeper down is the application's error, as in CherryPy.
    """
    try:
        sig = inspect.signature(func, follow_wrapped=False)
    except (TypeError, ValueError):
        sig = inspect.signature(func.__call__, follow_wrapped=False)  # type: ignore[operator]
    positional: list[str] = []
    keyword_only: list[str] = []
    with_defaults: list[str] = []
    varargs = varkw = False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional.append(p.name)
        elif p.kind == p.KEYWORD_ONLY:
            keyword_only.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            varargs = True
        elif p.kind == p.VAR_KEYWORD:
            varkw = True
        if p.default is not p.empty:
            with_defaults.append(p.name)
    return positional, keyword_only, varargs, varkw, with_defaults


def test_callable_spec(
    callable: Callable[..., Any],
    callable_args: tuple[Any, ...],
    callable_kwargs: dict[str, Any],
    request: Request | None = None,
) -> None:
    """Turn a handler's ``TypeError`` about its arguments into the right HTTP error.

    Missing or surplus path/query parameters are 404 (no such resource); surplus or
    repeated body parameters are 400 (the client sent a bad form).  Parameter names are
    shown only when ``request.show_mismatched_params`` is on (``request`` defaults to
    the current one, CherryPy's three-argument form).
    """
    if request is None:
        request = serving.ambient().request
    show = getattr(request, "show_mismatched_params", False)
    positional, keyword_only, varargs, varkw, with_defaults = _signature_parts(callable)
    usage = dict.fromkeys(positional + keyword_only, 0)
    surplus_positional = 0
    surplus_keywords: set[str] = set()
    # Positional values (path segments) fill positional parameters only.
    for i in range(len(callable_args)):
        if i < len(positional):
            usage[positional[i]] += 1
        else:
            surplus_positional += 1
    for key in callable_kwargs:
        if key in usage:
            usage[key] += 1
        else:
            surplus_keywords.add(key)
    for name in with_defaults:
        if usage[name] == 0:
            usage[name] = 1
    missing = [n for n, u in usage.items() if u == 0]
    repeated = [n for n, u in usage.items() if u > 1]

    if missing:
        raise HTTPError(404, f"Missing parameters: {','.join(missing)}" if show else None)
    if not varargs and surplus_positional:
        raise HTTPError(404)
    body = getattr(request, "body", None)
    body_params = set((getattr(body, "params", None) or {}).keys())
    query_params = set(callable_kwargs) - body_params
    if repeated:
        code = 404 if query_params.intersection(repeated) else 400
        raise HTTPError(
            code, f"Multiple values for parameters: {','.join(repeated)}" if show else None
        )
    if not varkw and surplus_keywords:
        extra_query = query_params & surplus_keywords
        if extra_query:
            raise HTTPError(
                404,
                f"Unexpected query string parameters: {', '.join(extra_query)}" if show else None,
            )
        extra_body = body_params & surplus_keywords
        if extra_body:
            raise HTTPError(
                400, f"Unexpected body parameters: {', '.join(extra_body)}" if show else None
            )


# --- the object-tree dispatcher --------------------------------------------------------


class Trail:
    """What the dispatcher found: handler, positional args, config sources, index flag."""

    __slots__ = ("handler", "is_index", "plan", "sections", "sources", "unexposed", "vpath")

    def __init__(
        self,
        handler: Any,
        vpath: list[str],
        sources: list[dict[str, Any]],
        is_index: bool | None,
        sections: dict[str, str] | None,
    ) -> None:
        self.handler = handler
        self.vpath = vpath
        self.sources = sources
        self.is_index = is_index
        #: Section keys (``cherrypit_section_markers``) → the path of the config
        #: section where their marker key was found, e.g. ``tools.staticdir.section``.
        self.sections = sections
        #: On a 404: (URL path, object) the whole path leads to but that is not exposed.
        self.unexposed: tuple[str, Any] | None = None
        #: The config plan of :attr:`sources` (kept by the request that built it), with
        #: the sources as they were then.
        self.plan: tuple[Any, list[dict[str, Any]]] | None = None


#: Ends a walk's observations when the walk must not be reused.
_UNCACHEABLE: Any = (None, "", None)
#: Remembered in place of a walk whose path must be walked on every request.
_VOLATILE: Any = object()
_OBJECT_GETATTRIBUTE = object.__getattribute__


def _computes_attributes(cls: type) -> bool:
    """Whether ``cls`` makes attributes up on lookup (``__getattr__``/``__getattribute__``).

    Reading such attributes twice per request (to check a remembered walk, then to
    walk again) could run application code twice, so those walks are not remembered.
    """
    if cls is MethodType:
        return False  # reads the function's attributes
    return (
        cls.__getattribute__ is not _OBJECT_GETATTRIBUTE  # type: ignore[comparison-overlap]
        or getattr(cls, "__getattr__", None) is not None
    )


def _plain_reads(observations: list[tuple[Any, str, Any]]) -> Iterator[tuple[Any, str, Any]]:
    """``observations`` with bound-method reads made on the method's function.

    A bound method hands every attribute its type does not define to its function,
    but a missing one costs it a raised and caught AttributeError: reading the
    function directly gives the same answer about ten times faster.
    """
    for obj, name, value in observations:
        if type(obj) is MethodType and not hasattr(MethodType, name):
            obj = obj.__func__
        yield obj, name, value


class _Walk:
    """A dispatcher walk remembered with the attributes it read (see ``find_trail``)."""

    __slots__ = ("observations", "open_parent", "segments", "sources", "trail")

    def __init__(
        self,
        trail: Trail,
        observations: list[tuple[Any, str, Any]],
        path: str,
        open_parent: Any = None,
    ) -> None:
        self.trail = trail
        #: For a walk with an open tail (see :class:`_WalkShape`): the node that has
        #: no attribute named after the tail's first segment.
        self.open_parent = open_parent
        self.observations = tuple(_plain_reads(observations))
        self.segments = sum(1 for x in path.split("/") if x)
        # Section markers in the sources decided trail.sections: sources edited in
        # place (a handler's _cp_config, say) make the walk stale.
        self.sources = [dict(source) for source in trail.sources]

    def reused(self, trail: Trail, missing: str | None) -> _Walk:
        """This walk as the walk of another path of its shape, which found ``trail``.

        What a walk of that path would read is what this one read, plus ``missing``
        on :attr:`open_parent` (the one name that differs; None: no name was read).
        """
        walk = _Walk.__new__(_Walk)
        walk.trail = trail
        walk.observations = (
            self.observations
            if missing is None
            else (*self.observations, *_plain_reads([(self.open_parent, missing, None)]))
        )
        walk.segments = self.segments
        walk.sources = self.sources
        walk.open_parent = self.open_parent
        return walk

    def holds(self) -> bool:
        """Whether a walk now would read the same objects (and so find the same trail)."""
        for obj, name, value in self.observations:
            now = getattr(obj, name, None)
            # Bound methods are made anew on each read: equal ones are the same.
            if now is not value and (type(now) is not MethodType or now != value):
                return False
        return self.sources == self.trail.sources


class _WalkShape:
    """Where a walk stopped reading segment names (filled in by ``Dispatcher._walk``).

    A walk that finds no attribute for a segment, with no config section below it,
    reads none of the later segments: its result (a positional-argument handler,
    ``default``, or a 404) is the same for any names there.  With no section at that
    segment either, the segment itself counts too, for any name that is no attribute
    of the node before it.  ``open_tail`` counts those trailing segments (0: the
    walk depends on every name); ``open_parent`` is the node that must lack the
    first of them, or :data:`_UNREAD` when the walk read none of their names.
    """

    __slots__ = ("open_parent", "open_tail")

    def __init__(self) -> None:
        self.open_tail = 0
        self.open_parent: Any = None


#: ``_WalkShape.open_parent`` of a walk that read none of its open segments' names.
_UNREAD: Any = object()
#: Longest open tail looked for when a path was never walked (each try is a lookup).
_OPEN_TAIL_TRIES = 8


def _shape_key(dispatcher: Any, segments: list[str], tail: int, slash: bool) -> tuple[Any, ...]:
    """The walk-cache key of the walks of ``segments`` that leave ``tail`` segments open."""
    return (dispatcher, tuple(segments[: len(segments) - tail]), tail, slash)


_prefix_cache: dict[frozenset[str], frozenset[str]] = {}


def _section_prefixes(sections: frozenset[str]) -> frozenset[str]:
    """Every proper prefix path of the config sections (``/a``, ``/a/b`` for ``/a/b/c``)."""
    prefixes = _prefix_cache.get(sections)
    if prefixes is None:
        found: set[str] = set()
        for section in sections:
            parts = section.split("/")
            for depth in range(2, len(parts)):
                found.add("/".join(parts[:depth]))
        prefixes = frozenset(found)
        if len(_prefix_cache) > 64:
            _prefix_cache.clear()
        _prefix_cache[sections] = prefixes
    return prefixes


class CycleDispatcher:
    """A dispatcher the request cycle calls with the request and response in hand.

    Subclasses implement :meth:`dispatch_request`.  Calling the object with a path,
    CherryPy's dispatcher interface, serves the current request; a subclass that
    overrides ``__call__`` (CherryPy style) is called that way by the cycle too.
    """

    def __call__(self, path_info: str) -> None:
        slot = serving.ambient()
        self.dispatch_request(slot.request, slot.response, path_info)

    def dispatch_request(self, request: Request, response: Response, path_info: str) -> None:
        """Set ``request.handler`` and the request's config for ``path_info``."""
        raise NotImplementedError


def dispatch_path(dispatcher: Any, request: Request, response: Response, path: str) -> None:
    """Run ``dispatcher`` for ``path``: explicitly when it allows, else CherryPy's way."""
    if type(dispatcher).__call__ is CycleDispatcher.__call__:
        dispatcher.dispatch_request(request, response, path)
    else:
        dispatcher(path)


class Dispatcher(CycleDispatcher):
    """CherryPy's default dispatcher: walk the object tree along the path.

    :param dispatch_method_name: name of the per-node dynamic dispatch method.
    :param translate: table applied to each segment before attribute lookup
        (punctuation such as ``.`` and ``-`` becomes ``_`` by default).
    """

    dispatch_method_name = "_cp_dispatch"

    def __init__(
        self,
        dispatch_method_name: str | None = None,
        translate: dict[int, Any] = _PUNCTUATION_TO_UNDERSCORE,
    ) -> None:
        validate_translator(translate)
        if dispatch_method_name:
            self.dispatch_method_name = dispatch_method_name
        self.translate = translate

    def dispatch_request(self, request: Request, response: Response, path_info: str) -> None:
        """Find the handler of ``path_info`` and install it, with its config, on ``request``."""
        trail = self.find_trail(request, path_info)
        request.apply_trail(trail, self._page_handler(trail, request), response)

    def _page_handler(self, trail: Trail, request: Request) -> Any:
        if trail.handler is None:
            return _not_found(trail, request)
        vpath = [x.replace("%2F", "/") for x in trail.vpath] if trail.vpath else trail.vpath
        handler = LateParamPageHandler(trail.handler, *vpath)
        handler._request = weakref.ref(request)
        return handler

    def find_handler(self, path: str) -> tuple[Any, list[str]]:
        """CherryPy's API: return ``(handler or None, virtual path)`` and set the config."""
        request = serving.ambient().request
        trail = self.find_trail(request, path)
        request.apply_trail(trail, None)
        return trail.handler, trail.vpath

    def find_trail(self, request: Request, path: str, dynamic: bool = True) -> Trail:
        """Walk the object tree along ``path`` (or reuse the walk of an earlier request).

        A walk is remembered per application with every attribute it read; a later
        request for the same path reuses it when each of those attributes still holds
        the same object, so changes to the tree made at run time are seen at once.
        Walks that called a ``_cp_dispatch`` method are never reused.

        :param dynamic: whether nodes' ``_cp_dispatch`` methods are called (the
            start-up warm-up walks without them: it must run no application code).
        """
        app = request.app
        assert app is not None, "dispatch needs request.app"
        root_section = app.config.get("/")
        # Dispatch runs before the app's request.* config is applied: read "/" here.
        limit = request.max_path_segments
        if root_section:
            limit = root_section.get("request.max_path_segments", limit)
        walks = app.walk_cache()
        key = (self, path)
        known: _Walk | None = walks.get(key)
        if known is not None and known is not _VOLATILE and not (limit and known.segments > limit):
            if known.holds():
                return known.trail
            # Something the walk read has changed: walk this path every time from now
            # on, so that attributes computed on each read are not read twice.
            app.remember_walk(key, _VOLATILE)
            known = _VOLATILE
        if known is None:
            derived = self._reuse_open_walk(app, walks, path, limit)
            if derived is not None:
                return derived
        seen: list[tuple[Any, str, Any]] = [(app, "root", app.root)]
        shape = _WalkShape()
        trail = self._walk(request, path, dynamic, limit, root_section, seen, shape)
        if known is None and not any(entry is _UNCACHEABLE for entry in seen):
            walk = _Walk(trail, seen, path, shape.open_parent)
            app.remember_walk(key, walk)
            if shape.open_tail and trail.unexposed is None:
                segments = [x for x in path.split("/") if x]
                shape_key = _shape_key(self, segments, shape.open_tail, path.endswith("/"))
                app.remember_walk(shape_key, walk, lasting=True)
        return trail

    def _reuse_open_walk(
        self, app: Application, walks: dict[Any, Any], path: str, limit: int
    ) -> Trail | None:
        """The trail of a path never walked, from a remembered walk of the same shape.

        The trail is remembered for its path, as a walk would be.

        ``/items/41`` walked, ``/items/42`` gets the same handler and config with its
        own positional argument, without a walk: the walk of ``/items/41`` stopped at
        ``items`` having no attribute ``41``, and ``items`` has no attribute ``42``
        either (checked, as is everything else the first walk read).  None when no
        remembered walk fits.
        """
        segments = [x for x in path.split("/") if x]
        if not segments or (limit and len(segments) > limit):
            return None
        slash = path.endswith("/")
        path_sections = app.path_sections
        for tail in range(1, min(len(segments), _OPEN_TAIL_TRIES) + 1):
            shape_key = _shape_key(self, segments, tail, slash)
            walk: _Walk | None = walks.get(shape_key)
            if walk is None:
                continue
            if not walk.holds():
                walks.pop(shape_key, None)  # another thread may have dropped it
                return None
            name = segments[-tail]
            if not (self.translate is _PUNCTUATION_TO_UNDERSCORE and name.isalnum()):
                name = name.translate(self.translate)
            unread = walk.open_parent is _UNREAD
            if not unread and getattr(walk.open_parent, name, None) is not None:
                return None
            if path_sections and not unread:
                prefix = "".join("/" + x for x in segments[: len(segments) - tail])
                curpath = prefix + "/" + segments[-tail]
                if curpath in path_sections or curpath in _section_prefixes(path_sections):
                    return None
            known = walk.trail
            vpath = known.vpath
            if known.handler is not None:
                if len(vpath) < tail:
                    return None
                vpath = vpath[: len(vpath) - tail] + segments[-tail:]
            trail = Trail(known.handler, vpath, known.sources, known.is_index, known.sections)
            trail.plan = known.plan
            app.remember_walk((self, path), walk.reused(trail, None if unread else name))
            return trail
        return None

    def _walk(
        self,
        request: Request,
        path: str,
        dynamic: bool,
        limit: int,
        root_section: dict[str, Any] | None,
        seen: list[tuple[Any, str, Any]],
        shape: _WalkShape | None = None,
    ) -> Trail:
        # ``seen`` gets (object, attribute, value) for every attribute read, ending
        # with _UNCACHEABLE when the result depends on more than those; ``shape``
        # where the walk stopped reading segment names.
        app = request.app
        assert app is not None
        root = app.root
        app_config = app.config
        dispatch_name = self.dispatch_method_name
        translate = self.translate
        # The default table only rewrites ASCII punctuation: alphanumeric segments
        # (the common case) can skip it.
        default_table = translate is _PUNCTUATION_TO_UNDERSCORE
        path_sections = app.path_sections
        record = seen.append

        fullpath = [x for x in path.split("/") if x]
        if limit and len(fullpath) > limit:
            raise HTTPError(
                414, f"The path has {len(fullpath)} segments; at most {limit} are allowed."
            )
        fullpath.append("index")
        fullpath_len = len(fullpath)
        section_prefixes = _section_prefixes(path_sections) if path_sections else frozenset()
        # Past the longest section name no section can match: the walked path is no
        # longer built (hashing an ever longer string would make the walk quadratic).
        deepest = max(map(len, path_sections)) if path_sections else -1

        # Each trail entry: (node, [config sources], segments left)
        root_sources: list[dict[str, Any]] = []
        root_conf = getattr(root, "_cp_config", None)
        record((root, "_cp_config", root_conf))
        if root_conf:
            root_sources.append(root_conf)
        if root_section:
            root_sources.append(root_section)
        entries: list[tuple[Any, list[dict[str, Any]], int]] = [(root, root_sources, fullpath_len)]

        # The segments still to walk, last one first, so each step pops from the end.
        names = fullpath[::-1]
        # The path walked so far, as a config section name ('' at the root).
        curpath = ""
        node = root
        while names:
            name = names[-1]
            if default_table and name.isalnum():
                objname = name
            else:
                objname = name.translate(translate)
            sources: list[dict[str, Any]] = []
            if node is not None:
                subnode = getattr(node, objname, None)
                record((node, objname, subnode))
                if _computes_attributes(type(node)):
                    record(_UNCACHEABLE)
            else:
                subnode = None
            before = len(names)
            if subnode is None:
                dispatch: Any = None
                if node is not None:
                    dispatch = getattr(node, dispatch_name, None)
                    record((node, dispatch_name, dispatch))
                    if dispatch is not None:
                        record((dispatch, "exposed", getattr(dispatch, "exposed", None)))
                dynamic_step = (
                    dispatch is not None
                    and callable(dispatch)
                    and not getattr(dispatch, "exposed", False)
                    and before > 1
                )
                if dynamic_step:
                    # Application code chooses the next node: never reused.
                    record(_UNCACHEABLE)
                if dynamic_step and dynamic:
                    # 'index' is ours: _cp_dispatch only sees the real segments, in order.
                    vpath = names[:0:-1]
                    subnode = dispatch(vpath=vpath)
                    names = [names[0], *vpath[::-1]]
                else:
                    names.pop()
            else:
                names.pop()
            left = len(names)
            if left > before:
                raise CherryPyException(
                    "A vpath segment was added.  Custom dispatchers may only remove "
                    f"elements.  While trying to process {name} in {fullpath}"
                )
            if left == before:
                # The dispatcher used the segment without popping it.
                names.pop()
                left -= 1
            node = subnode
            if node is not None:
                conf = getattr(node, "_cp_config", None)
                record((node, "_cp_config", conf))
                if conf:
                    sources.append(conf)
            if len(curpath) <= deepest:
                for seg in fullpath[fullpath_len - before : fullpath_len - left]:
                    curpath += "/" + seg
                    if curpath in path_sections:
                        sources.append(app_config[curpath])
            entries.append((node, sources, left))
            # Past the last node, only deeper config sections could still matter.
            if node is None and (len(curpath) > deepest or curpath not in section_prefixes):
                parent = entries[-2][0]
                if shape is not None and left == before - 1:
                    if parent is not None and not sources and left >= 1:
                        # A real segment (not the appended 'index'), read only to
                        # find no attribute, and the ones after it.
                        shape.open_tail = left
                        shape.open_parent = parent
                    elif left >= 2:
                        # The real segments after this one, never read.
                        shape.open_tail = left - 1
                        shape.open_parent = _UNREAD
                break

        marker_sections = app.section_markers
        markers = marker_sections.keys()

        def collect(
            upto: int, extra: dict[str, Any] | None
        ) -> tuple[list[Any], dict[str, str] | None]:
            # Like CherryPy, the whole walked trail counts (sections of deeper paths
            # served by an ancestor's default or positional args included); the
            # handler's own config goes right after the node that owns it.
            merged: list[dict[str, Any]] = []
            sections: dict[str, str] | None = None
            for j, (_node, srcs, left_) in enumerate(entries):
                if j == upto + 1 and extra:
                    merged.append(extra)
                merged.extend(srcs)
                if markers:
                    for s in srcs:
                        # Most sources hold no marker: one C-level set test each.
                        if markers.isdisjoint(s):
                            continue
                        if sections is None:
                            sections = {}
                        where = "/" + "/".join(fullpath[: fullpath_len - left_])
                        for marker in markers & s.keys():
                            sections[marker_sections[marker]] = where
            if extra and upto + 1 >= len(entries):
                merged.append(extra)
            if extra and markers and not markers.isdisjoint(extra):
                # A default() handler's own config: its section is the path of the
                # node that owns it.
                if sections is None:
                    sections = {}
                where = "/" + "/".join(fullpath[: fullpath_len - entries[upto][2]])
                for marker in markers & extra.keys():
                    sections[marker_sections[marker]] = where
            return merged, sections

        for i in range(len(entries) - 1, -1, -1):
            candidate, _srcs, left = entries[i]
            if candidate is None:
                continue
            default = getattr(candidate, "default", None)
            record((candidate, "default", default))
            if default is not None:
                record((default, "exposed", getattr(default, "exposed", None)))
            if default is not None and getattr(default, "exposed", False):
                default_conf = getattr(default, "_cp_config", None)
                record((default, "_cp_config", default_conf))
                merged, sections = collect(i, default_conf)
                return Trail(
                    default,
                    fullpath[fullpath_len - left : -1],
                    merged,
                    path.endswith("/"),
                    sections,
                )
            exposed = getattr(candidate, "exposed", None)
            record((candidate, "exposed", exposed))
            if exposed:
                merged, sections = collect(i, None)
                return Trail(
                    candidate,
                    fullpath[fullpath_len - left : -1],
                    merged,
                    i == len(entries) - 1,
                    sections,
                )
        merged, sections = collect(len(entries) - 1, None)
        trail = Trail(None, [], merged, None, sections)
        trail.unexposed = _unexposed_target(entries, fullpath)
        return trail


def _unexposed_target(
    entries: list[tuple[Any, list[dict[str, Any]], int]], fullpath: list[str]
) -> tuple[str, Any] | None:
    """What the whole path leads to when nothing there is exposed (for the 404 hint).

    The walk ends with the node of the last segment (1 segment left: the ``index``
    the dispatcher appends) and its ``index`` (0 left); either may exist unexposed.
    The path is the requested one (``fullpath`` without that ``index``).
    """
    found: tuple[str, Any] | None = None
    for node, _sources, left in entries[1:]:
        if node is None or left > 1:
            continue
        if left == 0 and not callable(node):
            continue  # an attribute named index that is no handler
        found = ("/" + "/".join(fullpath[:-1]), node)
    return found


def _not_found(trail: Trail, request: Request, resources: bool = False) -> NotFound:
    """The 404 for a trail without a handler, with a hint when ``@expose`` is missing.

    ``resources``: the dispatcher serves exposed objects (``MethodDispatcher``).
    """
    error = NotFound(request.script_name + request.path_info)
    if trail.unexposed is not None:
        path, node = trail.unexposed
        error.hint = unexposed_hint(path, node, resources)
    return error


def unexposed_hint(path: str, node: Any, resources: bool = False) -> str:
    """The development hint for a URL that leads to an object nobody exposed."""
    if resources and not inspect.isroutine(node):
        kind = node.__name__ if inspect.isclass(node) else type(node).__name__
        return (
            f"Hint: {path} leads to the {kind} object, which is not exposed. Set "
            "exposed = True in its class to serve it with MethodDispatcher (this hint "
            "shows in development only)."
        )
    if callable(node) and not inspect.isclass(node):
        name = getattr(node, "__qualname__", None) or type(node).__qualname__
        return (
            f"Hint: {path} leads to {name}, which is not exposed. Decorate it with "
            "@cherrypit.expose to serve it (this hint shows in development only)."
        )
    kind = node.__name__ if inspect.isclass(node) else f"the {type(node).__name__} object"
    return (
        f"Hint: {path} leads to {kind}, which has no exposed index method. Add one "
        "decorated with @cherrypit.expose (this hint shows in development only)."
    )


class MethodDispatcher(Dispatcher):
    """Dispatch to the method named after the HTTP method (``GET``, ``POST``…).

    The node found by the walk must be exposed; its upper-case methods are the
    handlers.  Other methods get 405 with an ``Allow`` header; HEAD falls back to GET.
    """

    def dispatch_request(self, request: Request, response: Response, path_info: str) -> None:
        trail = self.find_trail(request, path_info)
        resource = trail.handler
        if resource is None:
            request.apply_trail(trail, _not_found(trail, request, resources=True), response)
            return
        methods = [m for m in dir(resource) if m.isupper()]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        methods.sort()
        response.headers["Allow"] = ", ".join(methods)
        method = request.method.upper()
        func = getattr(resource, method, None)
        if func is None and method == "HEAD":
            func = getattr(resource, "GET", None)
        if func is None:
            request.apply_trail(trail, HTTPError(405), response)
            return
        conf = getattr(func, "_cp_config", None)
        # A new trail: the walk's own may be shared with later requests.
        trail = Trail(
            func,
            trail.vpath,
            [*trail.sources, conf] if conf else trail.sources,
            trail.is_index,
            trail.sections,
        )
        request.apply_trail(trail, self._page_handler(trail, request), response)


class RoutesDispatcher(CycleDispatcher):
    """Dispatch with the ``routes`` package (install ``cherrypit[routes]``)."""

    def __init__(self, full_result: bool = False, **mapper_options: Any) -> None:
        try:
            import routes
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RoutesDispatcher needs the 'routes' package: pip install 'cherrypit[routes]'"
            ) from exc
        self.full_result = full_result
        self.controllers: dict[str, Any] = {}
        self.mapper = routes.Mapper(**mapper_options)
        self.mapper.controller_scan = self.controllers.keys

    def connect(self, name: str, route: str, controller: Any, **kwargs: Any) -> None:
        self.controllers[name] = controller
        self.mapper.connect(name, route, controller=name, **kwargs)

    def redirect(self, url: str) -> None:
        from cherrypit._kernel.errors import HTTPRedirect

        raise HTTPRedirect(url)

    def dispatch_request(self, request: Request, response: Response, path_info: str) -> None:
        handler, sources = self._match(request, path_info)
        trail = Trail(handler, [], sources, None, None)
        if handler:
            page_handler: Any = LateParamPageHandler(handler)
            page_handler.request = request
        else:
            page_handler = NotFound(request.script_name + request.path_info)
        request.apply_trail(trail, page_handler, response)

    def find_handler(self, path_info: str) -> tuple[Any, list[dict[str, Any]]]:
        """CherryPy's API: ``(handler or None, config sources)`` for the current request."""
        return self._match(serving.ambient().request, path_info)

    def _match(self, request: Request, path_info: str) -> tuple[Any, list[dict[str, Any]]]:
        import routes

        config = routes.request_config()
        config.mapper = self.mapper
        if hasattr(request, "wsgi_environ"):
            config.environ = request.wsgi_environ
        config.host = request.headers.get("Host", None)
        config.protocol = request.scheme
        config.redirect = self.redirect
        result = self.mapper.match(path_info)
        config.mapper_dict = result
        params: dict[str, Any] = {}
        if result:
            params = dict(result)
        if not self.full_result:
            params.pop("controller", None)
            params.pop("action", None)
        request.params.update(params)
        app = request.app
        assert app is not None
        sources: list[dict[str, Any]] = []
        section = app.config.get("/")
        if section:
            sources.append(section)
        handler = None
        if result:
            controller = self.controllers.get(result.get("controller"))
            if controller is not None:
                if isinstance(controller, type):
                    controller = controller()
                conf = getattr(controller, "_cp_config", None)
                if conf:
                    sources.append(conf)
                action = result.get("action")
                if action is not None:
                    handler = getattr(controller, action, None)
                    conf = getattr(handler, "_cp_config", None)
                    if conf:
                        sources.append(conf)
                else:
                    handler = controller
        curpath = ""
        for atom in path_info.split("/"):
            if atom:
                curpath += "/" + atom
                section = app.config.get(curpath)
                if section:
                    sources.append(section)
        return handler, sources


def VirtualHost(
    next_dispatcher: Any = None, use_x_forwarded_host: bool = True, **domains: str
) -> CycleDispatcher:
    """Prefix the path with a section chosen by the request's host.

    ``domains`` maps host names (with port if needed) to path prefixes.  The
    ``X-Forwarded-Host`` header is honoured only when the peer is one of the
    configured trusted proxies (``request.trusted_proxies``, by default the loopback
    addresses, as for ``tools.proxy``); CherryPy trusted any
    client.
    """
    if next_dispatcher is None:
        next_dispatcher = Dispatcher()
    return _VirtualHostDispatcher(next_dispatcher, use_x_forwarded_host, domains)


class _VirtualHostDispatcher(CycleDispatcher):
    """What :func:`VirtualHost` returns: prefixes the path, then dispatches with the next."""

    def __init__(
        self, next_dispatcher: Any, use_x_forwarded_host: bool, domains: dict[str, str]
    ) -> None:
        self.next_dispatcher = next_dispatcher
        self.use_x_forwarded_host = use_x_forwarded_host
        self.domains = domains

    def dispatch_request(self, request: Request, response: Response, path_info: str) -> None:
        header = request.headers.get
        domain = header("Host", "")
        if self.use_x_forwarded_host:
            # Dispatch runs before the request.* config is applied: read it ourselves.
            trusted = request.trusted_proxies
            if request.app is not None:
                trusted = request.app.find_config(path_info, "request.trusted_proxies", trusted)
            # A proxy already believed before dispatch was checked then (remote.ip is
            # the client's address now).
            if request.forwarded_applied or is_trusted(
                request.remote.ip, trusted or DEFAULT_TRUSTED
            ):
                domain = header("X-Forwarded-Host", domain)
        prefix = self.domains.get(domain, "")
        if not prefix:
            dispatch_path(self.next_dispatcher, request, response, path_info)
            return
        # The static section of a config path below the prefix is the URL's path
        # (without the prefix): the request plan takes it off (see apply_trail).
        request.dispatch_prefix = prefix
        dispatch_path(self.next_dispatcher, request, response, urljoin(prefix, path_info))
        app = request.app
        for section_key in app.section_markers.values() if app is not None else ():
            section = request.config.get(section_key)
            if isinstance(section, str) and section.startswith(prefix + "/"):
                # A dispatcher that set request.config itself, without a plan.
                request.config[section_key] = section[len(prefix) :]
