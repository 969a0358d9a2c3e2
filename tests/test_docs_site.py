"""The documentation site builds with MkDocs in strict mode: any warning fails the build.

Strict mode turns broken links between pages, missing anchors, pages left out of the nav
and docstrings mkdocstrings cannot render into errors.  The built API reference must hold
the public names of ``cherrypit``, ``cherrypit.plugin``, ``cherrypit.testing`` and the
plugins.

Without MkDocs (the ``docs`` extra, which ``./scripts/setup`` installs) the tests are
skipped, unless ``CHERRYPIT_REQUIRE_DOCS=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "docs" / "_ext" / "rst_markup.py"

if importlib.util.find_spec("mkdocs") is None:
    _message = "the docs extra is not installed: pip install -e '.[docs]'"
    if os.environ.get("CHERRYPIT_REQUIRE_DOCS") == "1" or os.environ.get("CI"):
        pytest.fail(f"{_message}, and CI requires it", pytrace=False)
    pytest.skip(_message, allow_module_level=True)


def _load_extension() -> Any:
    spec = importlib.util.spec_from_file_location("rst_markup", EXTENSION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rst_markup = _load_extension()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    assert "WARNING" not in proc.stderr, proc.stderr[-6000:]
    return out


@pytest.mark.parametrize(
    ("page", "names"),
    [
        ("api/cherrypit", ["cherrypit.expose", "cherrypit.HTTPError", "cherrypit.quickstart"]),
        ("api/plugin", ["cherrypit.plugin.Tool", "cherrypit.plugin.hookimpl"]),
        ("api/testing", ["cherrypit.testing.Client", "cherrypit.testing.TestResponse"]),
        ("api/plugins", ["cherrypit_templates.render", "cherrypit_redis.RedisSession"]),
    ],
)
def test_api_reference_documents_the_public_names(site: Path, page: str, names: list[str]) -> None:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    missing = [name for name in names if f'id="{name}"' not in html]
    assert missing == [], f"{page} has no entry for {missing}"
    assert ":class:`" not in html and ":meth:`" not in html, "reST roles left in the page"


API_PAGES = {
    "api/cherrypit": ["cherrypit"],
    "api/plugin": ["cherrypit.plugin"],
    "api/testing": ["cherrypit.testing"],
    "api/plugins": [
        "cherrypit_server", "cherrypit_tools", "cherrypit_sessions", "cherrypit_static",
        "cherrypit_templates", "cherrypit_logging", "cherrypit_autoreload",
        "cherrypit_redis", "cherrypit_jinja2", "cherrypit_mako",
    ],
}  # fmt: skip


def _documentable(value: object) -> bool:
    """A class, function or constant (submodules and the site's objects have prose)."""
    if inspect.isclass(value) or inspect.isfunction(value):
        return True
    return isinstance(value, str | int | float | tuple | frozenset)


@pytest.mark.parametrize("page", sorted(API_PAGES))
def test_api_reference_has_an_entry_for_every_exported_name(site: Path, page: str) -> None:
    html = (site / page / "index.html").read_text(encoding="utf-8")
    missing = []
    for module_name in API_PAGES[page]:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name.startswith("_") or not _documentable(getattr(module, name)):
                continue
            if f'id="{module_name}.{name}"' not in html:
                missing.append(f"{module_name}.{name}")
    assert missing == [], f"{page}: no entry (a docstring or #: comment) for {missing}"


def test_every_page_of_docs_is_built(site: Path) -> None:
    pages = sorted(p.relative_to(ROOT / "docs") for p in (ROOT / "docs").rglob("*.md"))
    built = [p for p in pages if (site / p.with_suffix("") / "index.html").is_file()
             or (p.name == "index.md" and (site / p.parent / "index.html").is_file())]  # fmt: skip
    assert built == pages


def test_the_changelog_page_is_the_changelog(site: Path) -> None:
    html = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    first_heading = next(
        line for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    )  # fmt: skip
    assert first_heading[3:].split()[0] in html


def test_rst_markup_becomes_markdown() -> None:
    text = "Use :class:`~cherrypit.plugin.Tool` or :func:`cherrypit.url`, like this::\n\n    x\n"
    assert rst_markup.to_markdown(text) == "Use `Tool` or `cherrypit.url`, like this:\n\n    x\n"
    assert rst_markup.to_markdown("Example:\n\n::\n\n    y\n") == "Example:\n\n\n    y\n"


def test_sphinx_attribute_comments_are_read() -> None:
    lines = ["x = 1", "#: The answer,", "#: documented.", "answer = 42"]
    assert rst_markup.comment_doc(lines, 4) == "The answer,\ndocumented."
    assert rst_markup.comment_doc(lines, 1) is None
