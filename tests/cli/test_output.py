"""`-o` never deletes, moves or replaces what infergraph did not write (issue 11, defect 1).

`render -o DIR` writes one file per object, each headed by an owner line, and replaces or
removes only files with that line; `render -o FILE.yaml`, `compile -o` and `graph -o` write one
regular file atomically; links, directories and special files named as a file are refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INFERGRAPH = [sys.executable, "-m", "infergraph.cli"]
OWNER = "# infergraph render of graph iris-ab: "


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INFERGRAPH, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _smaller_ab_graph(tmp_path: Path) -> Path:
    """The A/B example with the same graph name but one node fewer in a second predictor."""
    text = (EXAMPLES / "ab-test.yaml").read_text()
    data = yaml.safe_load(text)
    root = data["spec"]["predictors"][0]["graph"]
    data["spec"]["predictors"][0]["graph"] = root["children"][0]
    path = tmp_path / "smaller.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_render_into_a_directory_keeps_the_users_files(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    out.mkdir()
    (out / "kustomization.yaml").write_text("resources: []\n")
    (out / "notes.txt").write_text("mine\n")
    done = run("render", EXAMPLES / "ab-test.yaml", "-o", out)
    assert done.returncode == 0, done.stderr
    files = _tree(out)
    assert files["kustomization.yaml"] == b"resources: []\n"
    assert files["notes.txt"] == b"mine\n"
    ours = {name: text for name, text in files.items() if name.startswith("deployment-")}
    assert ours and all(text.decode().startswith(OWNER) for text in ours.values())
    rendered = [t for t in files.values() if t.decode().startswith(OWNER)]
    kinds = {d["kind"] for text in rendered for d in yaml.safe_load_all(text)}
    assert kinds >= {"Deployment", "Service", "VirtualService"}


def test_rerender_removes_only_its_own_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    assert run("render", EXAMPLES / "shadow.yaml", "-o", out).returncode == 0
    other_graph = {n: t for n, t in _tree(out).items()}
    assert run("render", EXAMPLES / "ab-test.yaml", "-o", out).returncode == 0
    (out / "kustomization.yaml").write_text("resources: []\n")
    assert "deployment-iris-ab-main-model-b.yaml" in _tree(out)
    done = run("render", _smaller_ab_graph(tmp_path), "-o", out)
    assert done.returncode == 0, done.stderr
    after = _tree(out)
    assert "deployment-iris-ab-main-model-b.yaml" not in after  # stale: ours, removed
    assert "deployment-iris-ab-main-ab.yaml" not in after
    assert "deployment-iris-ab-main-model-a.yaml" in after
    assert after["kustomization.yaml"] == b"resources: []\n"
    for name, text in other_graph.items():  # another graph's files: not ours to remove
        assert after[name] == text
    assert not [n for n in after if n.startswith(".")], "no temporary files left behind"


def test_render_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    out.mkdir()
    theirs = out / "service-iris-ab.yaml"
    theirs.write_text("# hand-written\n")
    done = run("render", EXAMPLES / "ab-test.yaml", "-o", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(theirs) in done.stderr
    assert _tree(out) == {"service-iris-ab.yaml": b"# hand-written\n"}, "nothing written"


def test_render_to_a_yaml_file_writes_one_stream(tmp_path: Path) -> None:
    out = tmp_path / "manifests.yaml"
    out.write_text("old\n")
    done = run("render", EXAMPLES / "ab-test.yaml", "-o", out)
    assert done.returncode == 0, done.stderr
    stdout = run("render", EXAMPLES / "ab-test.yaml").stdout
    assert out.read_text() == stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests.yaml"], "no .old, no temp"


def test_links_are_neither_followed_nor_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("precious\n")
    for link_name, args in (
        ("manifests.yaml", ("render", EXAMPLES / "ab-test.yaml")),
        ("values.yaml", ("compile", EXAMPLES / "ab-test.yaml")),
        ("graph.mmd", ("graph", EXAMPLES / "ab-test.yaml")),
    ):
        link = tmp_path / link_name
        link.symlink_to(target)
        done = run(*args, "-o", link)
        assert done.returncode == 2 and "symbolic link" in done.stderr, done.stderr
        assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "precious\n"


def test_render_into_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    done = run("render", EXAMPLES / "ab-test.yaml", "-o", ".", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert (tmp_path / "virtualservice-iris-ab.yaml").read_text().startswith(OWNER)


def test_a_directory_named_as_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "x").write_text("x\n")
    for args in (("compile", EXAMPLES / "ab-test.yaml"), ("graph", EXAMPLES / "ab-test.yaml")):
        done = run(*args, "-o", tmp_path / "kept")
        assert done.returncode == 2 and "is a directory" in done.stderr, done.stderr
    existing_file = tmp_path / "plain"
    existing_file.write_text("mine\n")
    done = run("render", EXAMPLES / "ab-test.yaml", "-o", existing_file)
    assert done.returncode == 2 and str(existing_file) in done.stderr
    assert existing_file.read_text() == "mine\n"
    assert _tree(tmp_path / "kept") == {"x": b"x\n"}


def test_files_get_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    assert run("compile", EXAMPLES / "ab-test.yaml", "-o", out).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
