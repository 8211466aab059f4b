"""Benchmark scripts (run them directly; see each docstring)."""
