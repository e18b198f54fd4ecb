"""Maigie courses: courses with ordered modules and topics, shared with enrolled students.

Registered under the ``maigie.plugins`` entry point ``courses``; the hooks live in
``maigie_courses.plugin`` and are exported here, where the plugin manager finds them.
"""

from maigie_courses.plugin import (
    apply_tier_limits,
    authorize_channel,
    delete_user_data,
    export_user_data,
    register_ai_actions,
    register_blueprints,
    register_migrations,
    register_tier_limits,
    resolve_object,
)

__all__ = [
    "apply_tier_limits",
    "authorize_channel",
    "delete_user_data",
    "export_user_data",
    "register_ai_actions",
    "register_blueprints",
    "register_migrations",
    "register_tier_limits",
    "resolve_object",
]
