"""`python -m deviceplugin DIR` (PYTHONPATH=tests): the fake GPU plugin for the kubelet whose
device-plugins directory is DIR, until SIGTERM or SIGINT (the cluster tier
starts it for the real GPU node: tests/cluster/realnode.py)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from .plugin import Devices, Plugin
from .stubs import StubsUnavailable, load

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deviceplugin", description=__doc__)
    parser.add_argument("plugin_dir", type=Path, help="the kubelet's device-plugins directory")
    parser.add_argument("--resource", default="nvidia.com/gpu")
    parser.add_argument("--count", type=int, default=1, help="fake devices to advertise")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count {args.count}: must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        stubs = load()
    except StubsUnavailable as error:
        print(f"deviceplugin: {error}", file=sys.stderr)
        return 1
    plugin = Plugin(stubs, args.plugin_dir, args.resource, Devices.fake(args.count))

    def stop(signum: int, frame: FrameType | None) -> None:
        plugin.stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    plugin.run()
    plugin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
