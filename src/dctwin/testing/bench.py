"""The one row format of ``benchmarks/``: dctwin against its peer on the same case."""

from __future__ import annotations

from typing import Any

__all__ = ["bench_row"]


def bench_row(
    name: str, dctwin_s: float | None, peer: str, peer_s: float, target_ratio: float | None
) -> dict[str, Any]:
    """One benchmark result, as ``benchmarks/run_all.py`` prints it.

    Parameters
    ----------
    name
        The case.
    dctwin_s
        dctwin's wall time; ``None`` if it did not run. [s]
    peer
        What dctwin is compared with (a tool and its version, or a time budget).
    peer_s
        The peer's wall time on the same case (or the budget). [s]
    target_ratio
        Required ``peer_s / dctwin_s``; ``None`` for an informational row. [1]

    Returns
    -------
    dict
        ``name``, ``dctwin_s``, ``peer``, ``peer_s``, ``ratio`` (peer ÷ dctwin; higher means
        dctwin is faster), ``target_ratio`` and ``passed`` (``None`` when informational).

    Examples
    --------
    >>> bench_row("case", 0.5, "p", 5.0, 2.0)["ratio"], bench_row("case", 0.5, "p", 5.0, 20.0)["passed"]
    (10.0, False)
    """
    ratio = peer_s / dctwin_s if dctwin_s else None
    passed = None if target_ratio is None or ratio is None else ratio >= target_ratio
    return {
        "name": name, "dctwin_s": dctwin_s, "peer": peer, "peer_s": peer_s, "ratio": ratio,
        "target_ratio": target_ratio, "passed": passed,
    }  # fmt: skip
