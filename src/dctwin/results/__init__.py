"""Results of runs and the store that keeps them: one directory per run, a DuckDB index.

>>> from dctwin.results import RunStore  # doctest: +SKIP
>>> store = RunStore("runs")  # doctest: +SKIP
>>> run_id = store.write(results, extra_files={"report.html": html})  # doctest: +SKIP
>>> store.query("SELECT run_id, avg(pue) FROM timeseries GROUP BY run_id")  # doctest: +SKIP
"""

from dctwin.results.model import Results
from dctwin.results.store import RunStore

__all__ = ["Results", "RunStore"]
