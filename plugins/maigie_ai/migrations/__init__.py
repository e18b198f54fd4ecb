"""Schema migrations of the AI plugin (owner ``ai``)."""
