"""The offline assistant's understanding: plain English in, an intent with slots out.

``understand(message, now, state)`` (``parse``) recognises the intents of a study
companion from the phrasings in ``phrases``; ``when`` reads dates, times and durations
relative to the user's clock; ``templates`` outlines a course by kind of subject;
``summary`` summarises locally.
"""

from maigie_ai.intents.parse import Intent, understand

__all__ = ["Intent", "understand"]
