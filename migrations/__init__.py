"""The core's schema migrations (installed as ``maigie_core.migrations``)."""
