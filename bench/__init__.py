"""Benchmarks for Relations Desktop; results are recorded in docs/benchmarks.md."""
