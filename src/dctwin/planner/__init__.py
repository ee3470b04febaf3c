"""Energy planner: least-cost PV, wind and storage for a procurement policy (annual, 24/7 CFE, islanded)."""
