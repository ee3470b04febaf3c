"""Reports over a run's :class:`~dctwin.results.model.Results`: pure functions, no state.

* :mod:`dctwin.report.charts` — Plotly figures (energy balance, lowest-clean week, hourly
  CFE heat-map, PUE against temperature, battery state of charge, monthly supply mix).
* :mod:`dctwin.report.tables` — summary rows with units derived from the key suffixes.
* :mod:`dctwin.report.html` — one self-contained HTML file per run.
"""

from dctwin.report.charts import report_figures
from dctwin.report.html import build_report, write_report
from dctwin.report.tables import SummaryTable, summary_table

__all__ = ["SummaryTable", "build_report", "report_figures", "summary_table", "write_report"]
