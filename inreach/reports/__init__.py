"""Reports: the study's funnel, per-service tables, IPS Grow figures and volunteer hours."""
