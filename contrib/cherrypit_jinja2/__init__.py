"""Jinja2 for cherrypit's templates plugin (extra ``jinja2``).

Registered as ``jinja2`` in the ``cherrypit.template_engines`` entry-point group; select
it with ``tools.template.engine = "jinja2"`` (it is the default engine when installed).
"""

from __future__ import annotations

from typing import Any, ClassVar

import jinja2

from cherrypit import CherryPyException
from cherrypit_templates.engine import TemplateError, TemplateNotFound, find_template_frame

__all__ = ["AUTOESCAPE_EXTENSIONS", "Jinja2Engine"]

#: Templates whose names end with these are escaped when autoescaping is on.
AUTOESCAPE_EXTENSIONS = ("html", "htm", "xml")


class Jinja2Engine:
    """Renders Jinja2 templates from ``directories``.

    One :class:`jinja2.Environment` per engine: it compiles each template once and
    recompiles it when the file changes.

    :param directories: the template directories, in search order.
    :param autoescape: escape values in ``.html``/``.htm``/``.xml`` templates.
    :param options: further :class:`jinja2.Environment` arguments (``trim_blocks``,
        ``undefined``, ``extensions``…); an explicit ``loader`` or ``autoescape`` option
        replaces the engine's.
    """

    name: ClassVar[str] = "jinja2"

    def __init__(self, directories: list[str], autoescape: bool = True, **options: Any) -> None:
        self.directories = list(directories)
        options.setdefault("loader", jinja2.FileSystemLoader(self.directories))
        if autoescape:
            options.setdefault(
                "autoescape", jinja2.select_autoescape(enabled_extensions=AUTOESCAPE_EXTENSIONS)
            )
        else:
            options.setdefault("autoescape", False)
        self.environment = jinja2.Environment(**options)

    def render(self, template_name: str, context: dict[str, Any]) -> str:
        """Render ``template_name`` with ``context``.

        :raises TemplateNotFound: it, or a template it includes or extends, is missing.
        :raises TemplateError: a syntax error, or an exception while rendering; both
            carry the file and line.
        """
        try:
            return self.environment.get_template(template_name).render(context)
        except CherryPyException:
            raise
        except jinja2.TemplateNotFound as exc:
            missing = exc.name if isinstance(exc.name, str) else template_name
            raise TemplateNotFound(missing, self.directories) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                exc.message or str(exc),
                name=template_name,
                filename=exc.filename,
                lineno=exc.lineno,
            ) from exc
        except Exception as exc:
            frame = find_template_frame(exc.__traceback__, self.directories)
            filename, lineno = frame if frame is not None else (None, None)
            raise TemplateError(
                f"{type(exc).__name__}: {exc}", name=template_name, filename=filename, lineno=lineno
            ) from exc
