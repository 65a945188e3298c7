"""weft's benchmarks: ``make bench`` (or ``python bench/run.py``); see bench/RESULTS.md."""
