"""`make image`: build the server image offline, from wheels, under the name the compiler writes.

Steps: (1) the locked runtime wheels (model-server/requirements.lock, every one hash-checked)
are downloaded on the host for each target platform, once per lock, into a cache outside the
checkout; (2) our own wheel is built from a copy of model-server/ with a fixed
SOURCE_DATE_EPOCH, so the same sources give the same bytes; (3) both go into the build context
build/image/ with the lock; (4) the base is picked (tools/base_image.py) and `docker build`
runs model-server/Dockerfile, which installs with `--no-index --require-hashes`: nothing is
fetched inside the build. `--context-only` stops after (3), for the release workflow's buildx.

Image variants: an implementation whose library is an extra of infergraph-server declares the
variant that has it (schemas/implementations.json `image.variant`). `--variant V` builds
`<server image>-V` FROM the default image (built first, in the same run) with
model-server/variant.Dockerfile: its context build/image-V/ holds only the pins of its lock,
model-server/requirements-V.lock (the server's dependencies plus the variant's extras, `make
lock`), that the default lock does not hold at that version, and their wheels
(tools/image_locks.py). `--list-variants` prints each variant and its extras, one line each.
`--variant all` builds every variant but the GPU builds (`onnx-gpu`: ~3 GB of NVIDIA's CUDA
wheels), which are built only when named: `make images VARIANTS=onnx-gpu`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from base_image import cache_dir, resolve_base
from image_locks import added_pins, write_lock
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from infergraph.compile.nodes import server_image
from infergraph.defaults import SERVER_IMAGE
from infergraph.vocabulary import VOCABULARY

__all__ = [
    "CONTEXT",
    "DOCKERFILE",
    "LOCK",
    "VARIANT_DOCKERFILE",
    "VARIANT_LOCK",
    "build_context",
    "context_dir",
    "gpu_variants",
    "lock_file",
    "locked_wheels",
    "main",
    "variants",
]

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "model-server"
DOCKERFILE = SERVER / "Dockerfile"
VARIANT_DOCKERFILE = SERVER / "variant.Dockerfile"
VARIANT_LOCK = "variant.lock"  # in a variant's context: the pins it adds to the default image
LOCK = SERVER / "requirements.lock"
CONTEXT = ROOT / "build" / "image"
PYTHON_VERSION = "3.11"
MANYLINUX = range(17, 37)  # glibc 2.17 .. 2.36 (bookworm), as manylinux_2_N tags
ARCH = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
# Wheel timestamps: the same sources build the same wheel (docker's layer cache then hits).
SOURCE_DATE_EPOCH = "315532800"  # 1980-01-01, the earliest a zip can store
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]


def _platform_args(platform: str) -> list[str]:
    """pip's target-platform options for a Docker platform such as linux/arm64."""
    try:
        arch = ARCH[platform]
    except KeyError:
        raise SystemExit(f"--platforms: {platform!r} is not one of {', '.join(ARCH)}") from None
    tags = [f"manylinux_2_{n}_{arch}" for n in MANYLINUX] + [f"manylinux2014_{arch}"]
    return [arg for tag in tags for arg in ("--platform", tag)] + [
        "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--abi", f"cp{PYTHON_VERSION.replace('.', '')}",
    ]  # fmt: skip


def variants() -> dict[str, list[str]]:
    """Image variant -> the extras it installs, in declaration order (a GPU variant: its own
    extra alone, in place of the CPU one)."""
    found: dict[str, list[str]] = {}
    for declared in VOCABULARY.implementations.values():
        pairs = [(declared.image_variant, declared.extra)]
        if declared.gpu_image is not None:
            pairs.append((declared.gpu_image.variant, declared.gpu_image.extra))
        for variant, extra in pairs:
            if variant is not None and extra is not None:
                extras = found.setdefault(variant, [])
                extras += [extra] if extra not in extras else []
    return found


def gpu_variants() -> list[str]:
    """The variants of GPU builds (`onnx-gpu`: ~3 GB of NVIDIA's CUDA libraries), which
    `--variant all` leaves out: they are built only when named."""
    return [d.gpu_image.variant for d in VOCABULARY.implementations.values() if d.gpu_image]


def lock_file(variant: str | None) -> Path:
    """The lock of the default image (None) or of a variant."""
    return LOCK if variant is None else SERVER / f"requirements-{variant}.lock"


def context_dir(variant: str | None) -> Path:
    """build/image, or build/image-<variant>."""
    return CONTEXT if variant is None else CONTEXT.with_name(f"image-{variant}")


def locked_wheels(platform: str, lock: Path = LOCK) -> Path:
    """The lock's wheels for `platform`, downloaded once per lock hash into the cache."""
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    target = cache_dir() / "wheels" / f"{digest}-{platform.replace('/', '-')}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"image: downloading the locked wheels for {platform} into {target}", flush=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix="partial-") as tmp:
        subprocess.run(
            [*PIP, "download", "--only-binary=:all:", "--no-deps", "--require-hashes",
             "-r", str(lock), "-d", tmp, *_platform_args(platform)],
            check=True,
        )  # fmt: skip
        Path(tmp).rename(target)
    return target


def _own_wheel(out: Path) -> Path:
    """Build the infergraph-server wheel from a copy of model-server/ (the checkout stays clean)."""
    with tempfile.TemporaryDirectory(prefix="infergraph-wheel-") as tmp:
        source = shutil.copytree(
            SERVER, Path(tmp) / "src", ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                     "__pycache__", "*Dockerfile")
        )  # fmt: skip
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        done = subprocess.run(
            [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:  # setuptools' chatter only when it matters
            print(done.stdout + done.stderr, file=sys.stderr)
            done.check_returncode()
    (wheel,) = out.glob("infergraph_server-*.whl")
    return wheel


def _link(source: Path, target: Path) -> None:
    """Hard-link `source` to `target` (copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _wheel_pin(wheel: Path) -> tuple[str, Version]:
    """(canonical name, version) of a wheel file."""
    name, version, _, _ = parse_wheel_filename(wheel.name)
    return canonicalize_name(name), version


def build_context(platforms: list[str], variant: str | None = None) -> Path:
    """Write build/image/ (requirements.lock, wheels/: locked, all platforms, dist/: ours) or
    build/image-<variant>/ (variant.lock: what the variant adds to the default image, wheels/:
    theirs)."""
    lock, context = lock_file(variant), context_dir(variant)
    if not lock.is_file():
        raise SystemExit(f"--variant: {lock.relative_to(ROOT)} is missing; run `make lock`")
    sources = [locked_wheels(p, lock) for p in platforms]
    staging = context.with_name(context.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "wheels").mkdir(parents=True)
    if variant is None:
        shutil.copy2(lock, staging / LOCK.name)
        _own_wheel(staging / "dist")
        wanted = None
    else:
        try:
            pins = added_pins(LOCK, lock)
        except ValueError as error:
            raise SystemExit(f"--variant: {error}") from None
        header = f"{lock.name} less what {LOCK.name} holds at the same version (build_image.py)"
        write_lock(pins, staging / VARIANT_LOCK, header)
        wanted = {(pin.name, Version(pin.version)) for pin in pins}
    for source in sources:
        for wheel in sorted(source.glob("*.whl")):
            if wanted is not None and _wheel_pin(wheel) not in wanted:
                continue
            if not (staging / "wheels" / wheel.name).exists():
                _link(wheel, staging / "wheels" / wheel.name)
    shutil.rmtree(context, ignore_errors=True)
    staging.rename(context)
    return context


def _build(base: str, context: Path, variant: str | None, server: str) -> str:
    """docker build the default image on `base`, or a variant FROM `server` (the default
    image's id, so a tag moved meanwhile by another build on a shared engine cannot slip in);
    the built image's id."""
    version = SERVER_IMAGE.rpartition(":")[2]
    if variant is None:
        dockerfile, args = DOCKERFILE, [f"BASE_IMAGE={base}", f"VERSION={version}"]
        labels = ["--label", f"io.infergraph.base-image={base}"]
    else:
        dockerfile, args = VARIANT_DOCKERFILE, [f"SERVER_IMAGE={server}", f"VARIANT={variant}"]
        labels = []
    tag = server_image(variant)
    iidfile = context.with_name(f"{context.name}.id")
    subprocess.run(
        ["docker", "build", "--file", str(dockerfile), "--tag", tag, "--iidfile", str(iidfile),
         *(a for arg in args for a in ("--build-arg", arg)), *labels, str(context)],
        check=True,
    )  # fmt: skip
    return iidfile.read_text().strip()


def main(argv: list[str]) -> int:
    """CLI of `make image`, `make images`, `make image-context` and `make lock`."""
    parser = argparse.ArgumentParser(prog="build_image.py", description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", default="linux/amd64", help="space-separated, for wheels")
    parser.add_argument("--base-image", help="build on this base (default: see base_image.py)")
    parser.add_argument("--context-only", action="store_true", help="write build/image only")
    parser.add_argument(
        "--variant", action="append", default=[],
        help="build this image variant too (repeatable; `all`: every one but the GPU builds)",
    )  # fmt: skip
    parser.add_argument("--list-variants", action="store_true", help="print variants and extras")
    parser.add_argument("--list-gpu-variants", action="store_true", help="print the GPU ones")
    args = parser.parse_args(argv)
    declared = variants()
    if args.list_variants:
        for variant, extras in declared.items():
            print(variant, ",".join(extras))
        return 0
    if args.list_gpu_variants:
        print("\n".join(gpu_variants()))
        return 0
    # a variant is built FROM the default image: the default comes first, in every run
    every = [v for v in declared if v not in gpu_variants()]
    chosen: list[str | None] = [
        None,
        *(every if args.variant == ["all"] else dict.fromkeys(args.variant)),
    ]
    unknown = [v for v in chosen if v is not None and v not in declared]
    if unknown:
        print(f"--variant: {unknown[0]!r} is not one of {', '.join(declared)}, all",
              file=sys.stderr)  # fmt: skip
        return 2
    start = time.monotonic()
    try:
        if args.context_only:
            for variant in chosen:
                context = build_context(args.platforms.split(), variant)
                print(f"image: build context in {context.relative_to(ROOT)}")
            return 0
        # A cold base (debootstrap) and the wheels are independent: make them side by side.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(resolve_base, args.base_image)
            contexts = [(v, build_context(args.platforms.split(), v)) for v in chosen]
            base = pending.result()
        server = ""
        for variant, context in contexts:  # the default first
            built = _build(base, context, variant, server)
            server = server or built
    except subprocess.CalledProcessError as error:
        print(f"image: {' '.join(map(str, error.cmd[:3]))}... exited {error.returncode}",
              file=sys.stderr)  # fmt: skip
        return 1
    built = ", ".join(server_image(v) for v in chosen)
    print(f"image: {built} on {base} in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
