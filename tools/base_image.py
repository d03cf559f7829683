"""The base image of the server image: python:3.11-slim where it can be had, else our own Debian.

The Dockerfile's default base is the official `python:3.11-slim` (users, GitHub Actions). Where
it is neither present nor pullable (this machine pulls from no registry), the base is Debian
bookworm made with `debootstrap --variant=minbase` from the mirror apt already uses and turned
into an image with `docker import`. That rootfs is cached as a tarball outside the checkout,
keyed by a hash of its recipe, and imported under a name carrying the key: a second build finds
the image (or re-imports the tarball) in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DEFAULT_BASE",
    "RECIPE",
    "RUNTIME_LIBRARIES",
    "apt_mirror",
    "base_name",
    "cache_dir",
    "debootstrap_base",
    "image_present",
    "resolve_base",
]

DEFAULT_BASE = "python:3.11-slim"
SUITE = "bookworm"
VARIANT = "minbase"
# System libraries the runtimes' wheels load: libgomp1 (OpenMP) for lightgbm. python:3.11-slim
# lacks them too; the Dockerfile's ARG RUNTIME_LIBRARIES installs them there (a test keeps both).
RUNTIME_LIBRARIES = ("libgomp1",)
INCLUDE = ("python3", "python3-venv", "ca-certificates", *RUNTIME_LIBRARIES)
PRUNE = (  # emptied after debootstrap: caches and docs no image needs
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "var/log",
)
ENV = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8")
# Everything that decides the base; its hash names the cache entry and the image tag.
RECIPE: dict[str, object] = {
    "suite": SUITE,
    "variant": VARIANT,
    "include": INCLUDE,
    "prune": PRUNE,
    "env": ENV,
}
FALLBACK_MIRROR = "http://deb.debian.org/debian"
_ONE_LINE = re.compile(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)")


def cache_dir() -> Path:
    """Where built bases and wheels are kept: outside any checkout, shared by all of them."""
    if env := os.environ.get("INFERGRAPH_CACHE"):
        return Path(env)
    system = Path("/var/cache/infergraph")
    if os.access(system.parent, os.W_OK) or os.access(system, os.W_OK):
        return system
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "infergraph"


def apt_mirror(sources: list[Path] | None = None) -> str:
    """The Debian mirror apt is configured with for SUITE (deb822 or one-line sources)."""
    files = sources
    if files is None:
        files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":
            for block in re.split(r"\n\s*\n", text):
                fields = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in block.splitlines())
                    if not k.startswith("#")
                )
                if (
                    "deb" in fields.get("types", "").split()
                    and SUITE in fields.get("suites", "").split()
                ):
                    return fields["uris"].split()[0]
        for line in text.splitlines():
            if (match := _ONE_LINE.match(line.strip())) and match.group(2) == SUITE:
                return match.group(1)
    return FALLBACK_MIRROR


def image_present(name: str) -> bool:
    """True when the engine holds image `name`."""
    done = subprocess.run(["docker", "image", "inspect", name], capture_output=True)
    return done.returncode == 0


def _pullable(name: str) -> str | None:
    """None when `docker pull name` succeeds, else its last error line."""
    try:
        done = subprocess.run(
            ["docker", "pull", "--quiet", name], capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        return "docker pull timed out"
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines() or ["docker pull failed"]
    return lines[-1]


def _debootstrap(mirror: str, root: Path) -> None:
    """debootstrap the recipe's rootfs into `root` and prune what images do not need."""
    if shutil.which("debootstrap") is None:
        install = ["apt-get", "install", "-y", "-qq", "debootstrap"]
        subprocess.run(install, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(INCLUDE)}",
         SUITE, str(root), mirror],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for relative in PRUNE:
        for child in (root / relative).glob("*"):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    (root / "etc" / "machine-id").write_text("")


def _digest(mirror: str, recipe: Mapping[str, object]) -> str:
    """The cache key: a hash of everything that decides the base, so a new package rebuilds it."""
    return hashlib.sha256(
        json.dumps({**recipe, "mirror": mirror}, sort_keys=True).encode()
    ).hexdigest()


def base_name(mirror: str, recipe: Mapping[str, object] = RECIPE) -> str:
    """The image name of the debootstrap base made from `recipe` and `mirror`."""
    return f"infergraph-base:{SUITE}-{_digest(mirror, recipe)[:12]}"


def debootstrap_base(mirror: str) -> str:
    """The debootstrap base image (built, or imported from the cached tarball, when missing)."""
    digest = _digest(mirror, RECIPE)
    name = base_name(mirror)
    if image_present(name):
        return name
    cache = cache_dir() / "base"
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"{SUITE}-{digest}.tar"
    if not tarball.exists():
        print(f"image: debootstrap {SUITE} from {mirror} (once; cached in {cache})", flush=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix="rootfs-") as tmp:
            root = Path(tmp) / "rootfs"
            _debootstrap(mirror, root)
            partial = Path(tmp) / "rootfs.tar"
            subprocess.run(
                ["tar", "--sort=name", "--numeric-owner", "-C", str(root), "-cf", str(partial),
                 "."],
                check=True,
            )  # fmt: skip
            partial.replace(tarball)
    changes = [arg for env in ENV for arg in ("--change", f"ENV {env}")]
    with tarball.open("rb") as stream:
        subprocess.run(
            ["docker", "import", *changes, "-", name], stdin=stream, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return name


def resolve_base(requested: str | None) -> str:
    """The base to build on: `requested` as given, else DEFAULT_BASE when present or pullable,
    else the debootstrap base (said in one line)."""
    if requested:
        return requested
    if image_present(DEFAULT_BASE):
        return DEFAULT_BASE
    why = _pullable(DEFAULT_BASE)
    if why is None:
        return DEFAULT_BASE
    base = debootstrap_base(apt_mirror())
    print(f"image: {DEFAULT_BASE} cannot be pulled ({why}); base: {base} (debootstrap, cached)")
    return base


if __name__ == "__main__":
    print(resolve_base(sys.argv[1] if len(sys.argv) > 1 else None))
