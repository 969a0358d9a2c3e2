"""Mako for cherrypit's templates plugin (extra ``mako``).

Registered as ``mako`` in the ``cherrypit.template_engines`` entry-point group; select it
with ``tools.template.engine = "mako"``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mako import exceptions as mako_exceptions
from mako.lookup import TemplateLookup

from cherrypit import CherryPyException
from cherrypit_templates.engine import TemplateError, TemplateNotFound

__all__ = ["MakoEngine"]


class _Lookup(TemplateLookup):  # type: ignore[misc]  # mako ships no type information
    """A lookup that reports a missing template as cherrypit's :class:`TemplateNotFound`.

    Mako asks the lookup for inherited and included templates too, so this names the
    template that is really missing, not the one being rendered.
    """

    def get_template(self, uri: str) -> Any:
        try:
            return super().get_template(uri)
        except mako_exceptions.TemplateLookupException as exc:
            raise TemplateNotFound(uri.lstrip("/"), self.directories) from exc


class MakoEngine:
    """Renders Mako templates from ``directories``.

    One :class:`mako.lookup.TemplateLookup` per engine: it compiles each template once
    (in memory unless a ``module_directory`` option is given) and recompiles it when the
    file changes.

    :param directories: the template directories, in search order.
    :param autoescape: HTML-escape every ``${expression}`` (``default_filters=['h']``);
        ``${value | n}`` opts one expression out.
    :param options: further :class:`~mako.lookup.TemplateLookup` arguments
        (``module_directory``, ``strict_undefined``…); an explicit ``default_filters``
        option replaces the engine's.
    """

    name: ClassVar[str] = "mako"

    def __init__(self, directories: list[str], autoescape: bool = True, **options: Any) -> None:
        self.directories = list(directories)
        if autoescape:
            options.setdefault("default_filters", ["h"])
        options.setdefault("input_encoding", "utf-8")
        self.lookup = _Lookup(directories=self.directories, **options)

    def render(self, template_name: str, context: dict[str, Any]) -> str:
        """Render ``template_name`` with ``context``.

        :raises TemplateNotFound: it, or a template it inherits or includes, is missing.
        :raises TemplateError: a syntax error, or an exception while rendering; both
            carry the template file and line.
        """
        try:
            return str(self.lookup.get_template(template_name).render_unicode(**context))
        except (CherryPyException, TemplateNotFound):
            raise
        except (mako_exceptions.CompileException, mako_exceptions.SyntaxException) as exc:
            raise TemplateError(
                _without_position(exc), name=template_name, filename=exc.filename, lineno=exc.lineno
            ) from exc
        except Exception as exc:
            filename, lineno = _template_position(exc)
            raise TemplateError(
                f"{type(exc).__name__}: {exc}", name=template_name, filename=filename, lineno=lineno
            ) from exc


def _without_position(exc: Any) -> str:
    """A compile error's message without the position Mako appends (we report it apart)."""
    message = str(exc)
    position = f" at line: {exc.lineno} char: {exc.pos}"
    if exc.filename is not None:
        position = f" in file '{exc.filename}'{position}"
    return message.removesuffix(position)


def _template_position(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line of a rendering error (Mako maps them back)."""
    trace = mako_exceptions.RichTraceback(exc, exc.__traceback__)
    for record in reversed(trace.records):
        template_filename, template_lineno = record[4], record[5]
        if template_filename:
            # Line 0 is the compiled module's preamble (e.g. strict_undefined's lookups).
            line = int(template_lineno) if template_lineno else 0
            return str(template_filename), line if line > 0 else None
    return None, None
