"""Maigie AI: the study assistant — conversations, actions, providers, quotas.

A plugin written as a third party would: registered under the entry-point group
``maigie.plugins`` as ``ai``. It creates courses, goals, schedule blocks, reminders and
recommendations only through the AI actions other enabled plugins declare, and imports
none of them. ``hooks`` holds every hook implementation; providers live in
``providers`` (``offline`` rules by default, ``openai`` for any OpenAI-compatible
server) and the offline understanding in ``intents``.
"""

from maigie_ai.hooks import (
    authorize_channel,
    delete_user_data,
    export_user_data,
    register_blueprints,
    register_migrations,
    register_settings,
    register_tasks,
    register_tier_limits,
    shutdown,
)

__version__ = "1.0.0"

__all__ = [
    "authorize_channel",
    "delete_user_data",
    "export_user_data",
    "register_blueprints",
    "register_migrations",
    "register_settings",
    "register_tasks",
    "register_tier_limits",
    "shutdown",
]
