"""The documentation site builds with MkDocs in strict mode: any warning fails the build.

Strict mode turns broken links between pages, missing anchors, pages left out of the nav
and docstrings mkdocstrings cannot render into errors.  The built API reference must hold
the public names of ``cherrypit``, ``cherrypit.plugin``, ``cherrypit.testing`` and the
plugins.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "docs" / "_ext" / "rst_markup.py"

if importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"):
    pytest.skip(
        "the docs extra is not installed: pip install -e '.[docs]'", allow_module_level=True
    )


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
