"""Maigie resources: learning resources, full-text search on the database's own
engine (SQLite FTS5 / PostgreSQL tsvector) and recommendations for a course, goal,
topic or text.

A plugin written as a third party would: registered under the entry-point group
``maigie.plugins`` as ``resources``; it imports no other plugin (courses and goals are
read through ``resolve_object``).
"""

from maigie_resources.hooks import (
    delete_user_data,
    export_user_data,
    register_ai_actions,
    register_blueprints,
    register_event_subscribers,
    register_migrations,
    register_tier_limits,
    resolve_object,
)

__all__ = [
    "delete_user_data",
    "export_user_data",
    "register_ai_actions",
    "register_blueprints",
    "register_event_subscribers",
    "register_migrations",
    "register_tier_limits",
    "resolve_object",
]
