"""Great Expectations checks of the raw loads and of the reconciliation marts: suites in code (suites.py), one register step (context.py), one run entry
point (run.py). Importing the package does not import Great Expectations.
"""

from expectations.run import CheckExecutionError, CheckRunSummary, run_mart_checks, run_raw_checks

__all__ = ["CheckExecutionError", "CheckRunSummary", "run_mart_checks", "run_raw_checks"]
