"""Benchmarks: ``make bench`` prints medians side by side in one run."""
