"""The documentation's code examples, run as tests: one test per markdown page.

Every ```python block of a page runs in a fresh interpreter (the one running the tests,
with ``-W error``), in a temporary work directory shared by the page's blocks; every
python block, run or not, must compile. An HTML comment on the line(s) before a block
changes what happens to it:

``<!-- doctest: skip [why] -->``
    the block is not run (a fragment, or it serves forever).
``<!-- doctest: file NAME -->``
    the block is written to ``NAME`` in the work directory, for later blocks to use.
``<!-- doctest: continue -->``
    the python block is appended to the previous one and the whole script runs again.
``<!-- doctest: output -->``
    the block must equal the stdout of the last block that ran: exactly, except that
    blank lines at the very end do not count (``print(page)`` of a page ending in a
    newline prints one).
``<!-- doctest: sh -->``
    the block runs with ``bash -euo pipefail``; the virtualenv's ``bin`` comes first on
    ``PATH``. If a command it names is not installed, the rest of the page is skipped.
``<!-- doctest: pytest NAME -->``
    the block is written to ``NAME`` and run with pytest (fixtures via the entry point).
``<!-- doctest: reset -->``
    later blocks get a new, empty work directory.

Blocks in other languages without a marker (``ini``, ``text``, ``sh`` ...) are prose.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK_TIMEOUT = 60.0
SCRIPT = "_doc_block.py"  # what a python block is saved as, in the work directory
# How much of a failing block's stderr/stdout the failure message shows.
TAIL = 4000

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*doctest:\s*(?P<kind>\w+)\s*(?P<arg>.*?)\s*-->\s*$")
_KINDS = frozenset({"skip", "file", "continue", "output", "sh", "pytest", "reset"})
_NEEDS_ARG = frozenset({"file", "pytest"})
# Shell words that are not programs to look for on PATH; after the first group, the next
# word is again a command (`if grep ...`, `! cmd`).
_SHELL_BUILTINS = frozenset(
    {"cd", "export", "set", "unset", "echo", "printf", "test", "[", "true", "false", ":",
     "fi", "done", "esac", "case", "for", "exit", "read", "source", ".", "wait", "kill", "trap"}
)  # fmt: skip
_COMMAND_FOLLOWS = frozenset({"if", "then", "elif", "else", "do", "while", "until", "!", "{"})
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", ";;", "(", ")"})


class DocError(Exception):
    """A page whose markers or fences cannot be understood."""


@dataclass(frozen=True)
class Marker:
    kind: str
    arg: str


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int  # 1-based number of the block's first line of code
    markers: tuple[Marker, ...]

    def marker(self, kind: str) -> Marker | None:
        return next((m for m in self.markers if m.kind == kind), None)


def parse(text: str, name: str) -> Iterator[Block]:
    """Yield the fenced blocks of a markdown page with the markers just before each."""
    lines = text.splitlines()
    pending: list[Marker] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _MARKER.match(line)
        if marker:
            kind, arg = marker["kind"], marker["arg"]
            if kind not in _KINDS:
                raise DocError(f"{name}:{i + 1}: unknown doctest marker {kind!r}")
            if kind in _NEEDS_ARG and not arg:
                raise DocError(f"{name}:{i + 1}: the {kind!r} marker needs a file name")
            pending.append(Marker(kind, arg))
        elif fence := _FENCE.match(line):
            closing = re.compile(re.escape(fence["fence"][0]) + f"{{{len(fence['fence'])},}}\\s*")
            start = i + 1
            i += 1
            while i < len(lines) and not closing.fullmatch(lines[i]):
                i += 1
            if i == len(lines):
                raise DocError(f"{name}:{start}: code block is never closed")
            body = "".join(f"{code}\n" for code in lines[start:i])
            yield Block(fence["lang"], body, start + 1, tuple(pending))
            pending = []
        elif line.strip() and pending:
            # A marker must sit right before its block, or it would silently do nothing.
            raise DocError(f"{name}:{i + 1}: doctest marker not followed by a code block")
        i += 1
    if pending:
        raise DocError(f"{name}: doctest marker at the end of the page")


def commands(script: str) -> list[str]:
    """The programs a shell block runs (the first word of each simple command)."""
    found: list[str] = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        at_start = True
        for token in lexer:
            if token in _SEPARATORS:
                at_start = True
            elif at_start and not re.fullmatch(r"\w+=.*", token):
                if token not in _SHELL_BUILTINS and token not in _COMMAND_FOLLOWS:
                    found.append(token)
                at_start = token in _COMMAND_FOLLOWS
    return found


@dataclass
class Run:
    stdout: str
    stderr: str
    returncode: int


class BlockFailed(Exception):
    """A block that ran and did not do what the page says."""


class Page:
    """Runs one page's blocks in order, in work directories under ``base``."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.base = base
        self.resets = 0
        self.work = self._new_work_dir()
        self.bin = Path(sys.executable).parent
        tmp = base / "tmp"  # the blocks' TMPDIR: nothing they create outlives the test
        tmp.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self.env["PATH"] = os.pathsep.join([str(self.bin), os.environ.get("PATH", "")])
        self.env["TMPDIR"] = str(tmp)
        self.env["PYTHONIOENCODING"] = "utf-8"
        self.inherited_pythonpath = [
            os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p
        ]
        self.script: str | None = None
        self.last: Run | None = None
        self.ran = 0
        self.checked = 0

    def _new_work_dir(self) -> Path:
        self.resets += 1
        work = self.base / f"work{self.resets}"
        work.mkdir()
        return work

    def where(self, block: Block) -> str:
        return f"{self.name}, block at line {block.line}"

    def write(self, block: Block, name: str) -> Path:
        target = (self.work / name).resolve()
        if not target.is_relative_to(self.work.resolve()):
            raise DocError(f"{self.where(block)}: {name!r} is outside the work directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.body, encoding="utf-8")
        return target

    def run_block(self, block: Block) -> None:
        kinds = {m.kind for m in block.markers}
        if "reset" in kinds:
            self.work = self._new_work_dir()
            self.script = None
        if block.lang == "python":
            source = block.body
            if "continue" in kinds and self.script is not None and "skip" not in kinds:
                source = self.script + block.body
            self.compile(block, source)
        if "skip" in kinds:
            return
        if (file := block.marker("file")) is not None:
            self.write(block, file.arg)
        elif "output" in kinds:
            self.check_output(block)
        elif "sh" in kinds:
            missing = [c for c in commands(block.body) if not self.installed(c)]
            if missing:
                pytest.skip(
                    f"{self.where(block)} needs {', '.join(missing)}, which is not installed;"
                    " the rest of the page is not run"
                )
            self.execute(block, ["bash", "-euo", "pipefail", "-c", block.body])
        elif (test := block.marker("pytest")) is not None:
            self.write(block, test.arg)
            # No -p: the fixtures come through the installed pytest11 entry point.
            argv = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
            self.execute(block, [sys.executable, *argv, test.arg])
        elif block.lang == "python":
            if "continue" in kinds and self.script is not None:
                self.script += block.body
            else:
                self.script = block.body
            (self.work / SCRIPT).write_text(self.script, encoding="utf-8")
            self.execute(block, [sys.executable, "-W", "error", SCRIPT])
        elif kinds - {"reset"}:
            raise DocError(f"{self.where(block)}: marker {sorted(kinds)} on a {block.lang} block")

    def compile(self, block: Block, source: str) -> None:
        try:
            compile(source, f"{self.name}:{block.line}", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise BlockFailed(f"{self.where(block)}: not valid Python: {exc}") from None
        self.checked += 1

    def installed(self, command: str) -> bool:
        if "/" in command:
            return (self.work / command).exists()
        return shutil.which(command, path=self.env["PATH"]) is not None

    def run_page(self, text: str) -> None:
        for block in parse(text, self.name):
            self.run_block(block)

    def check_output(self, block: Block) -> None:
        if self.last is None:
            raise DocError(f"{self.where(block)}: output block with no block run before it")
        if self.last.stdout.rstrip("\n") != block.body.rstrip("\n"):
            diff = difflib.unified_diff(
                block.body.splitlines(keepends=True),
                self.last.stdout.splitlines(keepends=True),
                "documented",
                "printed",
            )
            raise BlockFailed(
                f"{self.where(block)}: the output differs from what the previous block printed"
                f"\n{''.join(diff)}\n--- stderr of that block:\n{self.last.stderr[-TAIL:]}"
            )

    def execute(self, block: Block, argv: Sequence[str]) -> None:
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join([str(self.work), *self.inherited_pythonpath])
        self.ran += 1
        self.last = run(argv, self.work, env, f"{self.where(block)} ({argv[0]})")
        if self.last.returncode != 0:
            hint = ""
            if argv[-1] == SCRIPT and self.script == block.body:
                hint = f" ({SCRIPT} line 1 is line {block.line} of the page)"
            raise BlockFailed(
                f"{self.where(block)} ({block.lang or 'sh'}): exit status {self.last.returncode}"
                f"{hint}"
                f"\n--- stderr:\n{self.last.stderr[-TAIL:]}"
                f"\n--- stdout:\n{self.last.stdout[-TAIL:]}"
            )


def run(argv: Sequence[str], cwd: Path, env: dict[str, str], what: str) -> Run:
    """Run a block in its own process group, and make sure nothing of it is left running."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        stdout, stderr = proc.communicate()
        raise BlockFailed(
            f"{what}: still running after {BLOCK_TIMEOUT:.0f} s (a server that never stops,"
            " or a background process holding its output open); killed"
            f"\n--- stderr:\n{stderr[-TAIL:]}\n--- stdout:\n{stdout[-TAIL:]}"
        ) from None
    if _kill_group(proc.pid):
        raise BlockFailed(f"{what}: left processes running after it ended; killed them")
    return Run(stdout, stderr, proc.returncode)


def _kill_group(pgid: int) -> bool:
    """Kill what is left of a process group; say whether anything was."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_page_examples(path: Path, tmp_path: Path) -> None:
    page = Page(path.relative_to(ROOT).as_posix(), tmp_path)
    text = path.read_text(encoding="utf-8")
    if path == ROOT / "README.md" and "<!-- doctest:" not in text:
        # Its first example serves until stopped. Markers that make it checkable:
        # `file notes.py` on it, `pytest test_readme.py` on the test that imports it.
        pytest.skip("README.md has no doctest markers yet; its first example serves forever")
    failure = None
    try:
        page.run_page(text)
    except (BlockFailed, DocError) as exc:
        failure = str(exc)  # failed outside the handler: no chained traceback in the report
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    if page.ran == 0 and page.checked == 0:
        pytest.skip(f"{page.name} has no Python or shell examples")


# --- the runner's own rules, on small made-up pages ------------------------------------


def test_parse_reads_markers_languages_and_first_lines() -> None:
    text = (
        "Intro\n\n<!-- doctest: file app.py -->\n```python\nx = 1\n```\n"
        "<!-- doctest: output -->\n~~~~text\n```\n~~~~\n"
    )
    blocks = list(parse(text, "p.md"))
    assert blocks == [
        Block("python", "x = 1\n", 5, (Marker("file", "app.py"),)),
        Block("text", "```\n", 9, (Marker("output", ""),)),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- doctest: ouput -->\n```text\n```\n", "unknown doctest marker 'ouput'"),
        ("<!-- doctest: file -->\n```python\n```\n", "needs a file name"),
        ("<!-- doctest: skip -->\nprose\n```python\n```\n", "not followed by a code block"),
        ("```python\nx = 1\n", "never closed"),
        ("```python\n```\n<!-- doctest: skip -->\n", "at the end of the page"),
    ],
    ids=["unknown-kind", "file-without-name", "marker-before-prose", "unclosed", "dangling"],
)
def test_parse_refuses_markers_that_would_do_nothing(text: str, problem: str) -> None:
    with pytest.raises(DocError, match=re.escape(problem)):
        list(parse(text, "p.md"))


def test_commands_finds_the_programs_a_shell_block_runs() -> None:
    script = (
        "openssl req -x509 \\\n  -keyout key.pem 2>/dev/null\n"
        "# a comment\nLANG=C sort x | uniq -c && cd /tmp; if grep -q a b; then echo hi; fi\n"
    )
    assert commands(script) == ["openssl", "sort", "uniq", "grep"]


def test_run_kills_a_block_that_leaves_a_process_behind(tmp_path: Path) -> None:
    argv = ["bash", "-c", "sleep 300 >/dev/null 2>&1 &"]
    with pytest.raises(BlockFailed, match="left processes running"):
        run(argv, tmp_path, dict(os.environ), "block")


def test_a_page_shares_files_between_blocks_and_checks_output(tmp_path: Path) -> None:
    page = Page("p.md", tmp_path)
    page.run_page(
        "<!-- doctest: file greet.py -->\n```python\nNAME = 'Ann'\n```\n"
        "```python\nfrom greet import NAME\nprint(NAME)\n```\n"
        "<!-- doctest: output -->\n```text\nAnn\n```\n"
        '<!-- doctest: sh -->\n```sh\ntest -f greet.py && echo "$PWD"\n```\n'
    )
    assert page.ran == 2
    assert page.last is not None and page.last.stdout == f"{tmp_path / 'work1'}\n"


def test_a_failing_block_is_reported_with_its_line_and_stderr(tmp_path: Path) -> None:
    page = Page("p.md", tmp_path)
    with pytest.raises(BlockFailed) as failed:
        page.run_page("Text\n\n```python\nraise SystemExit('no cherries')\n```\n")
    assert str(failed.value).startswith(
        "p.md, block at line 4 (python): exit status 1 (_doc_block.py line 1 is line 4"
    )
    assert "no cherries" in str(failed.value)


def test_output_that_differs_is_shown_as_a_diff(tmp_path: Path) -> None:
    page = Page("p.md", tmp_path)
    with pytest.raises(BlockFailed, match=r"(?s)-plums\n\+cherries"):
        page.run_page(
            "```python\nprint('cherries')\n```\n<!-- doctest: output -->\n```\nplums\n```\n"
        )


def test_a_shell_block_needing_a_missing_program_skips_the_rest(tmp_path: Path) -> None:
    page = Page("p.md", tmp_path)
    script = "<!-- doctest: sh -->\n```sh\nno-such-program-xyz --help\n```\n"
    with pytest.raises(pytest.skip.Exception, match="needs no-such-program-xyz"):
        page.run_page(script)
