"""Benchmark suite (run on demand with ``python -m bench.run``; never part of the tests)."""
