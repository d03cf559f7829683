"""Read a definition file so that Ctrl-C always ends the wait for it.

Python runs a signal's handler between bytecodes, not inside a system call. A SIGINT that lands
after the interpreter's last check but before a blocking `open()` or `read()` of a FIFO (a pipe
given as the file, `<(...)`) only sets a flag; the call then blocks until a writer sends data,
which may be never: the command hangs with the interrupt pending. So a file that is not a regular
file is opened without blocking and waited on with `poll` in short slices, and Python code runs
between slices, which raises the pending KeyboardInterrupt.
"""

from __future__ import annotations

import os
import select
import stat

__all__ = ["read_input"]

#: the longest a pending signal waits for its handler while we wait for input, in milliseconds
POLL_SLICE_MS = 100
_CHUNK = 1 << 16


def read_input(path: str | os.PathLike[str]) -> bytes:
    """The whole content of `path`; a FIFO, device or socket is read until end of file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            with os.fdopen(os.dup(fd), "rb") as file:
                return file.read()
        return _drain(fd)
    finally:
        os.close(fd)


def _drain(fd: int) -> bytes:
    """Read `fd` (non-blocking) until end of file, waiting in slices of POLL_SLICE_MS."""
    waiting = select.poll()
    waiting.register(fd, select.POLLIN | select.POLLHUP)
    chunks: list[bytes] = []
    while True:
        if not waiting.poll(POLL_SLICE_MS):
            continue  # a new iteration: a pending handler runs here
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
