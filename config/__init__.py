"""Default settings (installed as ``maigie_core.config``)."""
