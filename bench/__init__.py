"""Side-by-side benchmarks of wijkatlas (not timed tests). Run with ``make bench``."""
