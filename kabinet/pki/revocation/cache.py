"""A bounded, time-limited memory of "good" revocation answers.

Only good answers are kept: a revoked or unknown status must be asked
again every time, so that a transient failure is never remembered and a
revocation is never hidden behind an earlier answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kabinet.pki._time import require_aware


@dataclass(frozen=True)
class _GoodAnswer:
    source: str
    checked_at: datetime
    valid_until: datetime


class GoodAnswerCache:
    """Good answers keyed by (issuer, serial), each kept for ``ttl_seconds``.

    An answer counts only for times from the moment it was obtained up to
    the earlier of ``checked_at + ttl_seconds`` and the answer's own
    nextUpdate, so a cached "good" never outlives the source's promise.
    The oldest entries are dropped once ``max_entries`` is reached.
    """

    def __init__(self, *, ttl_seconds: int, max_entries: int = 10_000) -> None:
        if ttl_seconds < 0:
            raise ValueError(f"ttl_seconds must be >= 0, got {ttl_seconds}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self._ttl = timedelta(seconds=ttl_seconds)
        self._max_entries = max_entries
        self._answers: OrderedDict[Hashable, _GoodAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)

    def lookup(self, key: Hashable, *, at: datetime) -> str | None:
        """The source of a good answer valid at ``at``, or None."""
        at = require_aware(at)
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                return None
            if not answer.checked_at <= at <= answer.valid_until:
                if at > answer.valid_until:
                    del self._answers[key]
                return None
            self._answers.move_to_end(key)
            return answer.source

    def remember(
        self,
        key: Hashable,
        *,
        source: str,
        at: datetime,
        next_update: datetime | None = None,
    ) -> None:
        """Keep a good answer obtained at ``at`` from ``source``."""
        at = require_aware(at)
        if not self._ttl:
            return
        valid_until = at + self._ttl
        if next_update is not None:
            valid_until = min(valid_until, require_aware(next_update))
        if valid_until <= at:
            return
        with self._lock:
            self._answers[key] = _GoodAnswer(source, at, valid_until)
            self._answers.move_to_end(key)
            while len(self._answers) > self._max_entries:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._answers.clear()
