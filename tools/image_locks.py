"""The image's hash locks read as pins, and what a variant's lock adds to the default image's.

A variant image (`-xgboost`, ...) is built FROM the default image, so it installs only the pins
of its lock that the default image does not already hold at the same version: the ones it adds
and the ones it pins differently (the variant's version wins: pip replaces the default's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = ["Pin", "added_pins", "read_lock", "write_lock"]

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")


@dataclass(frozen=True)
class Pin:
    """One requirement of a hash lock: `name==version` and its lines (hashes, `# via`)."""

    name: str  # canonical
    version: str
    text: str

    @property
    def hashes(self) -> int:
        """How many `--hash=sha256:` the pin carries."""
        return self.text.count("--hash=sha256:")


def read_lock(lock: Path) -> dict[str, Pin]:
    """{canonical name: pin} of a `uv pip compile --generate-hashes` lock."""
    pins: dict[str, Pin] = {}
    current: list[str] = []

    def close() -> None:
        if current and (match := _PIN.match(current[0])):
            name = canonicalize_name(match.group(1))
            pins[name] = Pin(name, match.group(2), "\n".join(current) + "\n")

    for line in lock.read_text().splitlines():
        if line[:1].isspace() and current:
            current.append(line)
        else:
            close()
            current = [line] if _PIN.match(line) else []
    close()
    return pins


def added_pins(default: Path, variant: Path) -> list[Pin]:
    """The pins of `variant` that `default` does not hold at that version, by name. A package of
    the default lock missing from the variant's is an error: the image would still carry it."""
    base, pins = read_lock(default), read_lock(variant)
    missing = sorted(base.keys() - pins.keys())
    if missing:
        raise ValueError(
            f"{variant.name}: lacks {', '.join(missing)} of {default.name}; run `make lock`"
        )
    return [
        pin
        for name, pin in sorted(pins.items())
        if name not in base or base[name].version != pin.version
    ]


def write_lock(pins: list[Pin], target: Path, header: str) -> None:
    """A hash lock of `pins`, after one comment line `header`."""
    target.write_text(f"# {header}\n" + "".join(pin.text for pin in pins))
