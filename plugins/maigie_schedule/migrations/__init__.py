"""Schema migrations of the schedule plugin (frozen model copies, applied in order)."""
