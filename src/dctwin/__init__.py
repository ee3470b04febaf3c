"""dctwin: digital twin and planner for renewable-powered, sovereign AI datacenter campuses."""

__version__ = "0.1.0"
