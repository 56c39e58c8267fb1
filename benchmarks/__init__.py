"""Benchmarks: long measurements kept out of the timed test suite."""
