"""Every verb under every fault underneath it: one line on stderr, the right exit code, never
a traceback (issue 11, defect 2).

Faults are real: a missing or unreadable file, a chart or jsonnet library that is not there or
stops with an error, a `dot` that fails, a stdout whose reader is gone, Ctrl-C while the input
is being read. Exit codes: 1 for a failure, 130 for an interrupt (the shell's convention).
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ab-test.yaml"
INFERGRAPH = [sys.executable, "-m", "infergraph.cli"]

#: (verb, arguments after the input file): every verb that reads a graph
VERBS = {
    "validate": ("validate",),
    "compile": ("compile",),
    "compile-runtime": ("compile", "--to", "runtime"),
    "render-helm": ("render",),
    "render-jsonnet": ("render", "--engine", "jsonnet"),
    "graph": ("graph",),
    "graph-svg": ("graph", "--format", "svg"),
    "up": ("up", "--port", "18391"),
}


def _args(verb: str, source: Path | str) -> list[str]:
    command, *rest = VERBS[verb]
    return [command, str(source), *rest]


def _run(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    stdout: int = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *INFERGRAPH, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _one_line_failure(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _bound_by_file_modes() -> tuple[str, ...]:
    """A command prefix under which file modes apply: root without its DAC override."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores file modes and setpriv (util-linux) is not installed")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_missing_input_file(verb: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    _one_line_failure(_run(_args(verb, missing)), 1, str(missing), "cannot read the file")


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_unreadable_input_file(verb: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(EXAMPLE.read_text())
    secret.chmod(0)
    done = _run(_args(verb, secret), prefix=_bound_by_file_modes())
    _one_line_failure(done, 1, str(secret), "Permission denied")


@pytest.mark.parametrize(
    ("verb", "out"),
    [
        ("compile", "values.yaml"),
        ("graph", "g.mmd"),
        ("render-helm", "objects"),
        ("render-helm", "all.yaml"),
    ],
)
def test_unwritable_output(verb: str, out: str, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    done = _run([*_args(verb, EXAMPLE), "-o", str(locked / out)], prefix=_bound_by_file_modes())
    _one_line_failure(done, 1, str(locked), "Permission denied")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("engine", ["helm", "jsonnet"])
@pytest.mark.parametrize("problem", ["missing", "broken"])
def test_renderer_not_there_or_failing(engine: str, problem: str, tmp_path: Path) -> None:
    variable = {"helm": "INFERGRAPH_CHART", "jsonnet": "INFERGRAPH_JSONNET"}[engine]
    location = tmp_path / "renderer"
    if problem == "broken" and engine == "helm":
        (location / "templates").mkdir(parents=True)
        (location / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
        (location / "templates" / "x.yaml").write_text('{{ fail "the chart says no" }}\n')
    elif problem == "broken":
        location.mkdir()
        library = "{ render(v, n):: error 'the library says no' }\n"
        (location / "infergraph.libsonnet").write_text(library)
    done = _run(["render", str(EXAMPLE), "--engine", engine], env={variable: str(location)})
    expected = "says no" if problem == "broken" else variable
    _one_line_failure(done, 1, str(location) if engine == "helm" else "", expected)


def test_thirdparty_schemas_not_there(tmp_path: Path) -> None:
    missing = tmp_path / "schemas"
    done = _run(
        ["render", str(EXAMPLE), "--validate"], env={"INFERGRAPH_THIRDPARTY_SCHEMAS": str(missing)}
    )
    _one_line_failure(done, 1, str(missing), "INFERGRAPH_THIRDPARTY_SCHEMAS")


@pytest.mark.parametrize("problem", ["missing", "failing"])
def test_graphviz_not_there_or_failing(problem: str, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if problem == "failing":
        dot = bin_dir / "dot"
        dot.write_text("#!/bin/sh\necho 'Error: dot broke' >&2\nexit 3\n")
        dot.chmod(0o755)
    done = _run(["graph", str(EXAMPLE), "--format", "svg"], env={"PATH": str(bin_dir)})
    _one_line_failure(done, 1, "apt-get install graphviz" if problem == "missing" else "dot broke")


@pytest.mark.parametrize("verb", ["compile", "compile-runtime", "render-helm", "graph"])
def test_stdout_closed(verb: str) -> None:
    """The reader of stdout is gone before anything is written (`| head` that exited)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = _run(_args(verb, EXAMPLE), stdout=write_end)
    finally:
        os.close(write_end)
    _one_line_failure(done, 1, "stdout was closed")


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_ctrl_c_while_reading_the_input(verb: str, tmp_path: Path) -> None:
    """SIGINT while the command waits for its input (a FIFO nobody writes yet)."""
    fifo = tmp_path / "graph.yaml"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [*INFERGRAPH, *_args(verb, fifo)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    writer = None
    while writer is None and time.monotonic() < deadline:
        try:  # succeeds once the command has opened the FIFO for reading
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.05)
    assert writer is not None, "the command never opened its input"
    try:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()  # not left running into later tests
        stdout, stderr = proc.communicate()
        pytest.fail(f"still running 60 s after SIGINT; stderr: {stderr!r}")
    finally:
        os.close(writer)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    _one_line_failure(done, 130, "interrupted")


def test_fifo_and_device_outputs_are_refused_untouched(tmp_path: Path) -> None:
    """A special file named as output is refused (exit 2) and left exactly as it was."""
    fifo = tmp_path / "out.yaml"
    os.mkfifo(fifo)
    targets = [fifo]
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        targets.append(device)
    for target in targets:
        before = target.lstat()
        for args in (["compile", str(EXAMPLE)], ["graph", str(EXAMPLE)], ["render", str(EXAMPLE)]):
            done = _run([*args, "-o", str(target)])
            _one_line_failure(done, 2, str(target))
            after = target.lstat()
            assert (after.st_ino, after.st_mode, after.st_rdev) == (
                before.st_ino,
                before.st_mode,
                before.st_rdev,
            )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.name for t in targets)


def test_helm_not_installed(tmp_path: Path) -> None:
    """No helm on PATH nor beside the interpreter: the base Python, with our packages on
    PYTHONPATH, in place of the venv's (which has helm beside it)."""
    python = Path(sys.executable).resolve()
    if (python.parent / "helm").exists():
        pytest.skip(f"helm is installed beside {python}")
    paths = [str(ROOT / "generator"), sysconfig.get_paths()["purelib"]]
    env = {"PATH": str(tmp_path), "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(
        [str(python), "-m", "infergraph.cli", "render", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    _one_line_failure(done, 1, "helm not found")
