"""``python -m bench``: every benchmark module, one table."""

from __future__ import annotations

import importlib
import platform
import sys

from bench._harness import Report

MODULES = (
    "bench.bench_gost",
    "bench.bench_rsa",
    "bench.bench_login",
    "bench.bench_crl",
)


def main() -> int:
    report = Report()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    for name in MODULES:
        module = importlib.import_module(name)
        module.run(report)
    print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
