"""SIGTERM as an exception in the main thread, so ``finally`` blocks (temp files) run.

Python's default SIGTERM action ends the process at once: a half-written temp file next to the
target would be left behind. Inside :func:`terminate_as_exception` a SIGTERM raises
:class:`Terminated` instead, like Ctrl-C raises ``KeyboardInterrupt``; ``cli.main`` turns it
into exit code 143.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):  # like KeyboardInterrupt: not an Exception
    """The process received SIGTERM."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


__all__ = ["Terminated", "terminate_as_exception"]
