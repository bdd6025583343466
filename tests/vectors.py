"""Access to the real NCA test material in ../shared/vectors/nca.

The files are read where they lie; they are never copied into the
repository. ``KABINET_VECTORS`` overrides the location.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

VECTORS_DIR = Path(
    os.environ.get(
        "KABINET_VECTORS",
        Path(__file__).resolve().parents[2] / "shared" / "vectors" / "nca",
    )
)


@cache
def manifest() -> list[dict[str, Any]]:
    """Every entry of MANIFEST.json, in file order."""
    with (VECTORS_DIR / "MANIFEST.json").open(encoding="utf-8") as f:
        entries: list[dict[str, Any]] = json.load(f)["entries"]
    return entries


def entries(*kinds: str) -> list[dict[str, Any]]:
    """The manifest entries of the given kinds."""
    return [e for e in manifest() if e["kind"] in kinds]


def entry(path: str) -> dict[str, Any]:
    """The manifest entry for one file, by its path inside the vectors."""
    for e in manifest():
        if e["path"] == path:
            return e
    raise KeyError(path)


def read(path: str) -> bytes:
    """The bytes of one vector file."""
    return (VECTORS_DIR / path).read_bytes()


def at(value: str) -> datetime:
    """A manifest time such as ``2026-05-18T12:00:00Z`` as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
