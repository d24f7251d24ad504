"""Every fenced code block of README.md and docs/**/*.md runs as written on a fresh studio.

What each block's language gets:
    python, bash/sh/shell   run, against a real studio (tests/e2e/server.py) started for the page's
                            group, with STUDIO_URL/STUDIO_TOKEN set as the README tells a user to.
                            The blocks of one page run in order: its python blocks in one
                            interpreter (one namespace, like cells of a notebook at the root of
                            the lab: cwd is the server root), its shell blocks in one `bash` with
                            `set -e -o pipefail` (cwd stands for the repository clone, whose
                            notebooks/ is the server root, as with `make studio`).
    python whose first line is `# jupyter_server_config.py`
                            a config file: loaded with traitlets, every trait must exist on its
                            class and take the value.
    python whose first line starts `# in a job`
                            code for a job's notebook or script: run as a script job of that
                            studio, which must complete.
    json, yaml, ini         parsed (an ini block that starts `studio agent` checks its options).
    text                    not code (diagrams, file trees); lines that start with `studio ` are a
                            CLI synopsis: every command and option must exist.
Any other language, or none, fails: every block says what it is. The blocks that cannot run here
are listed in NOT_RUN with the reason (their make targets and files are still checked).

Only these placeholders are replaced, by the test server's values: `http://127.0.0.1:8888` (the
`make studio` address) and `<token>` (its token). A failing block fails the test with its page,
its line and its output.
"""

from __future__ import annotations

import configparser
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from e2e.server import kill_studio_processes, start_studio_server

REPO = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").rglob("*.md"))]

# Pages that share one fresh studio (started for the first page of a group, stopped when another
# group starts). A page never relies on another one: pages of a group only use different names.
GROUP = {"README.md": "readme"}  # every other page: "guide"

# Blocks not run, by (page, the start of their first line): the reason. Keep it short.
NOT_RUN = {
    ("README.md", "make studio"): "starts JupyterLab in the foreground until Ctrl-C (this test starts its own "
                                  "studio the same way); its `make test` runs the whole suite",
    ("README.md", "make test "): "the whole suite (this test included), linters and benchmarks",
}

PYTHON = {"python", "py"}
SHELL = {"bash", "sh", "shell"}
CONFIG_MARK = "# jupyter_server_config.py"
JOB_MARK = "# in a job"
SENTINEL = "@@docs-block-done@@"
BLOCK_TIMEOUT_S = 600


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # 1-based line of the opening fence; the block's text starts on the next line
    lang: str
    source: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def skip_reason(self) -> str | None:
        first = self.source.lstrip().splitlines()[0] if self.source.strip() else ""
        return next((why for (page, start), why in NOT_RUN.items()
                     if page == self.page and first.startswith(start)), None)

    @property
    def runs(self) -> bool:
        return (self.lang in PYTHON | SHELL and not self.is_config and self.skip_reason() is None)

    @property
    def is_config(self) -> bool:
        return self.lang in PYTHON and self.source.startswith(CONFIG_MARK)

    @property
    def in_a_job(self) -> bool:
        return self.lang in PYTHON and self.source.startswith(JOB_MARK)


FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def blocks_of(page: str) -> list[Block]:
    """The fenced blocks of a Markdown page, dedented by their fence's indentation."""
    blocks, current = [], None
    for number, line in enumerate((REPO / page).read_text().splitlines(), 1):
        match = FENCE.match(line)
        if current is None:
            if match:
                info = match["info"].strip()
                current = (number, match["indent"], match["fence"], info.split()[0] if info else "", [])
            continue
        start, indent, fence, lang, lines = current
        if match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence) \
                and not match["info"].strip():
            blocks.append(Block(page, start, lang.lower(), "".join(f"{x}\n" for x in lines)))
            current = None
        else:
            lines.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
    assert current is None, f"{page}:{current[0]}: a code fence is never closed"
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
RUN_PAGES = [page for page in PAGES if any(b.runs for b in ALL_BLOCKS if b.page == page)]


def substitute(source: str, url: str, token: str) -> str:
    return source.replace("http://127.0.0.1:8888", url).replace("<token>", token)


# --------------------------------------------------------------------------------- sessions

PYTHON_DRIVER = f"""
import json, sys, traceback
namespace = {{"__name__": "__main__"}}
for request in sys.stdin:
    block = json.loads(request)
    # Blank lines first put the block's lines at their page line numbers in tracebacks.
    code = "\\n" * block["line"] + block["source"]
    try:
        exec(compile(code, block["page"], "exec"), namespace)
        status = "ok"
    except BaseException:  # SystemExit too: a block that exits did not run to its end
        traceback.print_exc()
        status = "failed"
    sys.stdout.flush()
    sys.stderr.flush()
    print("\\n{SENTINEL}", status, flush=True)
"""

BASH_PREAMBLE = ("set -e -o pipefail\n"
                 "trap 'echo \"exit status $? at line $LINENO: $BASH_COMMAND\" >&2' ERR\n")


class Session:
    """A long-lived python or bash process that runs one block at a time and returns its output."""

    def __init__(self, lang: str, env: dict[str, str], cwd: Path, scratch: Path):
        self.lang, self.scratch = lang, scratch
        argv = [sys.executable, "-u", "-c", PYTHON_DRIVER] if lang == "python" else \
            ["bash", "--noprofile", "--norc"]
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if lang == "bash":
            self.proc.stdin.write(BASH_PREAMBLE)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, block: Block, source: str) -> tuple[bool, str]:
        if self.lang == "python":
            request = json.dumps({"page": block.page, "line": block.line, "source": source}) + "\n"
        else:
            script = self.scratch / f"{block.page.replace('/', '_')}-{block.line}.sh"
            script.write_text("\n" * block.line + source)  # $LINENO is the page's line number
            # stdin from /dev/null: a command that reads stdin must not eat the next blocks.
            request = f"source {shlex.quote(str(script))} < /dev/null\nprintf '\\n%s ok\\n' {SENTINEL}\n"
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        output: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=BLOCK_TIMEOUT_S)
            except queue.Empty:
                self.close()
                return False, "".join(output) + f"\n[still running after {BLOCK_TIMEOUT_S} s: stopped]"
            if line is None:  # the shell exited: `set -e` after a failing command
                return False, "".join(output) + f"\n[the session exited with code {self.proc.wait()}]"
            if SENTINEL in line:
                before, _, status = line.partition(SENTINEL)
                output.append(before)
                text = "".join(output)
                return status.strip() == "ok", text[:-1] if text.endswith("\n") else text
            output.append(line)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(30)
        # The pipes are ours to close (Popen does not on wait); the reader ends at EOF first.
        self.reader.join(10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except (OSError, ValueError):  # stdin: a flush into a dead process
                pass


@dataclass
class DocsStudio:
    server: object  # e2e.server.StudioServer
    repo: Path  # stands for the user's clone; repo/notebooks is the server root
    base: Path

    @property
    def url(self) -> str:
        return self.server.url.rstrip("/")

    def client_env(self) -> dict[str, str]:
        env = {**os.environ, "STUDIO_URL": self.url, "STUDIO_TOKEN": self.server.token,
               "XDG_CONFIG_HOME": str(self.base / "xdg"),  # `studio config --save` stays in the tmp dir
               "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
               "MPLBACKEND": "Agg"}
        for name in ("STUDIO_CONFIG", "STUDIO_HOME", "STUDIO_DB_URL", "STUDIO_MLFLOW_TRACKING_URI",
                     "MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID"):
            env.pop(name, None)
        return env


@pytest.fixture(scope="module")
def docs_studio(tmp_path_factory):
    """docs_studio(group) -> a DocsStudio: a fresh studio (warm pool 1) with a copy of notebooks/
    as its root, one at a time (the previous group's is stopped first)."""
    current: dict[str, DocsStudio] = {}

    def stop(studio: DocsStudio) -> None:
        studio.server.stop()
        kill_studio_processes(studio.server.studio_home)

    def get(group: str) -> DocsStudio:
        if group not in current:
            for other in list(current):
                stop(current.pop(other))
            base = tmp_path_factory.mktemp(f"docs-{group}")
            repo = base / "repo"
            shutil.copytree(REPO / "notebooks", repo / "notebooks",
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.out.ipynb",
                                                          "transform-output", "scoring"))
            server = start_studio_server(repo / "notebooks", base / "home", log_dir=base / "logs",
                                         extra_args=["--StudioApp.agent_warm_pool=1"])
            current[group] = DocsStudio(server, repo, base)
        return current[group]

    yield get
    for studio in current.values():
        stop(studio)


def _run_as_job(studio: DocsStudio, block: Block, source: str) -> tuple[bool, str]:
    """Run a block meant for a job's code as a script job; (completed, the job's log)."""
    rel = f"docs-blocks/{block.page.replace('/', '_')}-{block.line}.py"
    path = studio.server.root_dir / rel
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n" * block.line + source)  # a traceback in the log names the page's line
    response = studio.server.api("POST", "jobs", json={"input": rel})
    if response.status_code != 201:
        return False, f"submitting it as a job: {response.status_code} {response.text}"
    job = studio.server.wait_job(response.json()["job_id"], timeout=BLOCK_TIMEOUT_S)
    log = studio.server.api("GET", f"jobs/{job['job_id']}/logs").json()["content"]
    return job["status"] == "Completed", f"job {job['status']}: {job.get('status_reason') or ''}\n{log}"


def _report(failures: list[tuple[Block, str, str]], studio: DocsStudio) -> str:
    parts = []
    for block, source, output in failures:
        parts.append(f"{block.where}: this {block.lang} block failed\n"
                     + "".join(f"    | {line}\n" for line in source.splitlines())
                     + f"output:\n{output[-6000:]}")
    if len(failures) > 1:
        parts.append("(blocks after the first failure ran on; their failures may follow from it)")
    parts.append(f"server log: {studio.server.log_path}; agent log: {studio.server.studio_home / 'agent.log'}")
    return "\n\n".join(parts)


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("page", RUN_PAGES)
def test_code_blocks_of_the_page_run_in_order_on_a_fresh_studio(page, docs_studio):
    studio = docs_studio(GROUP.get(page, "guide"))
    env = studio.client_env()
    scratch = Path(tempfile.mkdtemp(prefix="blocks-", dir=studio.base))
    cwd = {"python": studio.server.root_dir, "bash": studio.repo}
    sessions: dict[str, Session] = {}
    failures = []
    try:
        for block in (b for b in ALL_BLOCKS if b.page == page and b.runs):
            source = substitute(block.source, studio.url, studio.server.token)
            if block.in_a_job:
                ok, output = _run_as_job(studio, block, source)
                print(f"--- {block.where} (as a job): {'ok' if ok else 'FAILED'}\n{output}")
                if not ok:
                    failures.append((block, source, output))
                continue
            lang = "python" if block.lang in PYTHON else "bash"
            if lang not in sessions or not sessions[lang].alive:  # a new bash after `set -e` ended one
                if lang in sessions:
                    sessions[lang].close()
                sessions[lang] = Session(lang, env, cwd[lang], scratch)
            ok, output = sessions[lang].run(block, source)
            print(f"--- {block.where} ({block.lang}): {'ok' if ok else 'FAILED'}\n{output}")  # pytest -rP
            if not ok:
                failures.append((block, source, output))
    finally:
        for session in sessions.values():
            session.close()
    if failures:
        pytest.fail(_report(failures, studio), pytrace=False)


# --------------------------------------------------------------------------- checked, not run

def _check_python_config(block: Block, tmp: Path) -> None:
    """Load the block as a jupyter_server_config.py and check each trait on its class."""
    from jupyter_server.serverapp import ServerApp
    from traitlets.config.loader import PyFileConfigLoader

    import studio_ext

    classes = {point["app"].__name__: point["app"] for point in studio_ext._jupyter_server_extension_points()}
    classes["ServerApp"] = ServerApp
    path = tmp / "jupyter_server_config.py"
    path.write_text(block.source)
    config = PyFileConfigLoader(path.name, str(tmp)).load_config()
    assert config, "the config block sets nothing"
    for section, values in config.items():
        assert section in classes, f"unknown configurable {section!r} (known: {sorted(classes)})"
        traits = classes[section].class_traits(config=True)
        for name, value in values.items():
            assert name in traits, f"{section} has no configurable trait {name!r}"
            # Validated as setting it on an instance would (a wrong type raises TraitError).
            traits[name]._validate(classes[section].__new__(classes[section]), value)


def _check_ini(block: Block) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read_string(block.source)
    for section in parser.sections():
        for value in parser[section].values():
            words = shlex.split(value.replace("\\\n", " "))
            if len(words) > 1 and Path(words[0]).name == "studio" and words[1] == "agent":
                _check_agent_options(block, words[2:])


def _check_agent_options(block: Block, words: list[str]) -> None:
    """`studio agent` parses its own options (argparse): each --option given must be one of them."""
    from studio_ext.runner.agent import main as agent_main  # noqa: F401  (the module must exist)

    help_text = subprocess.run([sys.executable, "-m", "studio_ext.runner.agent", "--help"],
                               capture_output=True, text=True, timeout=120,
                               env={**os.environ, "PYTHONPATH": str(REPO)}).stdout
    for word in words:
        if word.startswith("--"):
            assert re.search(rf"\s{re.escape(word.split('=')[0])}[\s=]", help_text), \
                f"`studio agent` has no option {word} (studio agent --help:\n{help_text})"


def _check_synopsis(block: Block) -> None:
    """Lines of a text block that start with `studio ` name real commands and options."""
    import click

    from studio_ext.cli import cli

    lines: list[str] = []
    for line in block.source.splitlines():
        if line.startswith("studio "):
            lines.append(line)
        elif lines and line[:1].isspace() and lines[-1].startswith("studio "):
            lines[-1] += " " + line.strip()  # a continuation of the synopsis above
        else:
            lines.append("")
    for line in filter(None, lines):
        words = line.split("#")[0].split()[1:]
        command, allowed = cli, {opt for p in cli.params for opt in (*p.opts, *p.secondary_opts)}
        for word in words:
            if isinstance(command, click.Group) and word in command.commands:
                command = command.commands[word]
            elif not word.startswith(("-", "[")) and isinstance(command, click.Group):
                raise AssertionError(f"`studio ... {word}`: no such command in {line!r}")
            else:
                break
        if command.context_settings.get("ignore_unknown_options"):
            continue  # `studio agent` passes its options to the agent (checked in the operator guide)
        allowed |= {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"-h", "--help"}
        for option in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", line.split("#")[0]):
            assert option in allowed, f"{command.name!r} has no option {option} ({line!r})"


def _check_not_run(block: Block) -> None:
    """A block that is not run still names make targets and files that exist."""
    for line in block.source.splitlines():
        words = shlex.split(line.split("#")[0])
        if words[:1] == ["make"]:
            result = subprocess.run(["make", "-n", *words[1:]], cwd=REPO, capture_output=True, text=True,
                                    timeout=60)
            assert result.returncode == 0, f"`{line.strip()}`: {result.stderr}"
        elif words and words[0].startswith(".venv/bin/"):
            for word in words[1:]:
                if "/" in word and not word.startswith("-"):
                    assert (REPO / word).exists(), f"`{line.strip()}`: {word} does not exist"


def _check(block: Block, tmp: Path) -> None:
    if block.skip_reason() is not None:
        _check_not_run(block)
    elif block.is_config:
        _check_python_config(block, tmp)
    elif block.lang in PYTHON:  # run by the test above; a syntax error shows here without a studio
        compile(substitute(block.source, "http://127.0.0.1:8888", "TOKEN"), block.where, "exec")
    elif block.lang in SHELL:
        result = subprocess.run(["bash", "-n"], input=substitute(block.source, "http://127.0.0.1:8888", "TOKEN"),
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    elif block.lang == "json":
        json.loads(block.source)
    elif block.lang in ("yaml", "yml"):
        yaml.safe_load(block.source)
    elif block.lang == "ini":
        _check_ini(block)
    elif block.lang == "text":
        _check_synopsis(block)
    else:
        raise AssertionError(f"a code block with language {block.lang or '(none)'!r}: "
                             "give it one of python, bash, json, yaml, ini or text")


@pytest.mark.parametrize("page", PAGES)
def test_every_block_of_the_page_says_what_it_is_and_checks(page, tmp_path):
    problems = []
    for block in (b for b in ALL_BLOCKS if b.page == page):
        try:
            _check(block, tmp_path)
        except Exception as error:  # noqa: BLE001  (every problem of the page in one report)
            problems.append(f"{block.where} ({block.lang or 'no language'}): {type(error).__name__}: {error}")
    assert not problems, "\n".join(problems)


def test_every_not_run_entry_matches_one_block():
    for (page, start), why in NOT_RUN.items():
        matching = [b for b in ALL_BLOCKS if b.page == page and b.skip_reason() == why]
        assert len(matching) == 1, f"NOT_RUN entry {page} {start!r} matches {len(matching)} blocks"
