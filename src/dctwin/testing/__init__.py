"""Public testing helpers: the golden run and result comparisons (xarray.testing style)."""

from dctwin.testing.golden import GOLDEN_DIR, assert_results_match_golden, golden_scenario, write_golden

__all__ = ["GOLDEN_DIR", "assert_results_match_golden", "golden_scenario", "write_golden"]
