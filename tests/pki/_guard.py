"""A guard for tests of input that once made the code run for minutes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def failing_instead_of_hanging(seconds: int) -> Iterator[None]:
    """Turn a runaway call into a test failure.

    Not a speed check: the bound is hundreds of times what the call needs,
    and only says that a regression fails instead of stalling the suite.
    """

    def stop(signum: int, frame: object) -> None:
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
