"""Benchmarks: `make bench`. Each prints its figures; the last line is one JSON object."""
