"""The workload scheduler: topology, gang placement, the compiled event core and its runner."""

from dctwin.scheduler.simulate import ScheduleInputs, ScheduleResult, SiteSeries, simulate_schedule
from dctwin.scheduler.topology import Topology, build_topology

__all__ = [
    "ScheduleInputs",
    "ScheduleResult",
    "SiteSeries",
    "Topology",
    "build_topology",
    "simulate_schedule",
]
