"""Schema migrations of the resources plugin (frozen models, tables prefixed ``resources_``)."""
