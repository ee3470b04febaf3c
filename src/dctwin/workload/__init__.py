"""AI workloads on the fleet. Until the scheduler lands, a documented utilisation profile."""

from dctwin.workload.profile import utilisation_shares

__all__ = ["utilisation_shares"]
