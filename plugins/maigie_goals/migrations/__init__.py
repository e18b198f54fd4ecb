"""Schema migrations of the goals plugin (owner ``goals``)."""
