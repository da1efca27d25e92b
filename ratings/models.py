"""Rating snapshots (filled in by the ratings service)."""
