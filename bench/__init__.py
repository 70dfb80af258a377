"""Benchmarks of the warehouse's loaders; each module is one section of `make bench` (see bench/README.md)."""
