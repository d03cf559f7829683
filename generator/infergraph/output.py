"""Deterministic serialisation, and writes that never destroy what we did not create.

A file is written to a temporary file in its directory and renamed over the target, so a
reader sees the old text or the new, never half. We replace only a regular file the user
named as the output, or a file we wrote ourselves; a directory, a symbolic link, a device or
any other non-regular file is refused (`OutputRefused`), never followed, moved or replaced.
A directory target receives our files only: each starts with an owner line, a file there is
overwritten only when it starts with the same line, and a file with that line that this run
no longer writes is removed (a stale object). Everything is checked before anything is written.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .errors import OutputFailed, OutputRefused

__all__ = [
    "Dumper",
    "PyDumper",
    "dump_json",
    "dump_yaml",
    "write_file",
    "write_owned_files",
]


class PyDumper(yaml.SafeDumper):
    """Block style, sorted keys, multi-line strings as literal blocks, never an alias.

    The compiler may share one sub-object between places (a probe handler, the GPU
    toleration); the text must still spell each place out, as helm and readers expect.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.representer.SafeRepresenter, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


PyDumper.add_representer(str, _str)

if hasattr(yaml, "CSafeDumper"):

    class _CDumper(yaml.CSafeDumper):
        """The same dumper on libyaml's emitter: the same bytes, many times faster."""

        ignore_aliases = PyDumper.ignore_aliases

    _CDumper.add_representer(str, _str)
    Dumper: type = _CDumper
else:  # pragma: no cover - PyYAML built without libyaml
    Dumper = PyDumper


def dump_yaml(data: Any, dumper: type = Dumper) -> str:
    """`data` as block YAML; `dumper` PyDumper gives the pure-Python emitter's text."""
    text: str = yaml.dump(data, Dumper=dumper, sort_keys=True, default_flow_style=False, width=1000)
    return text


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _kind(path: Path) -> str | None:
    """None when nothing is at `path`, else "file", "directory", "link" or "special"."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        raise OutputFailed(f"{path}: cannot inspect the output: {err.strerror}") from None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "special"


_REFUSED = {
    "directory": "is a directory; expected a file path",
    "link": "is a symbolic link; infergraph neither follows nor replaces links: name a file",
    "special": "is not a regular file (a device, pipe or socket); use - for stdout",
}


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """OSError while writing `path` → OutputFailed naming it."""
    try:
        yield
    except OSError as err:
        where = err.filename or path
        raise OutputFailed(f"{where}: cannot write: {err.strerror or err}") from None


def _mode() -> int:
    """New files get 0666 less the umask, as `open()` would give them (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            os.fchmod(fh.fileno(), _mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` atomically: a new file, or over a regular file (never anything
    else); missing parent directories are created."""
    target = Path(path)
    kind = _kind(target)
    if kind in _REFUSED:
        raise OutputRefused(f"{target}: {_REFUSED[kind]}")
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, text)


def _starts_with(path: Path, line: str) -> bool:
    """True when the regular file `path` begins with `line` + newline."""
    head = (line + "\n").encode()
    try:
        with path.open("rb") as fh:
            return fh.read(len(head)) == head
    except OSError:
        return False


def write_owned_files(directory: str | os.PathLike[str], files: Mapping[str, str]) -> None:
    """Write `files` (name → text, each text's first line the owner line, the same for all)
    into `directory`, creating it when missing; remove files there that start with the owner
    line and are not in `files`. Refuses, writing nothing, when a name is taken by anything
    we did not write."""
    target = Path(directory)
    owners = {text.partition("\n")[0] for text in files.values()}
    if len(owners) != 1 or not next(iter(owners)):
        raise ValueError("every file must start with the same, non-empty owner line")
    owner = owners.pop()
    kind = _kind(target)
    if kind == "link" and target.is_dir():
        kind = "directory"  # writing inside a linked directory replaces no link
    if kind not in (None, "directory"):
        raise OutputRefused(f"{target}: is not a directory; expected a directory or a new path")
    taken = sorted(
        name
        for name in files
        if _kind(target / name) is not None
        and not (_kind(target / name) == "file" and _starts_with(target / name, owner))
    )
    if taken:
        names = ", ".join(str(target / name) for name in taken)
        raise OutputRefused(
            f"{names}: not written by infergraph (no {owner!r} first line); "
            "move it away or choose another directory"
        )
    with _writing(target):
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write_atomic(target / name, text)
        for stale in sorted(target.iterdir()):
            if stale.name not in files and _kind(stale) == "file" and _starts_with(stale, owner):
                stale.unlink()
