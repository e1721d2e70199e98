"""Benchmarks for apple-music-mock: run on demand with ``python -m benchmarks`` (not tests)."""
