"""Words of user text: the terms a search or a recommendation is made of.

Search input is data, never query syntax: ``terms()`` keeps only runs of letters and
digits (so no FTS5 operator, quote, column filter or prefix star survives), drops the
English stop words PostgreSQL's ``english`` configuration drops, and caps the count.
``stem()`` is a light suffix stripper used to explain *which* terms matched.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TERMS = 16
MAX_TERM_LENGTH = 64

_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# PostgreSQL's english.stop (snowball): both engines then ignore the same words.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor
    not only own same so than too very s t can will just don should now
    """.split()  # noqa: SIM905
)


def clean(text: str) -> str:
    """``text`` in NFKC with control characters (NUL included) turned into spaces."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))


def words(text: str) -> list[str]:
    """Every word of ``text``, lower-cased, stop words included, in order."""
    return [w[:MAX_TERM_LENGTH] for w in _WORD.findall(clean(text).lower())]


def terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The distinct searchable words of ``text`` (no stop words), first ``limit`` of them."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOP_WORDS and word not in seen:
            seen[word] = None
            if len(seen) == limit:
                break
    return list(seen)


def fts5_phrase(term: str) -> str:
    """``term`` as an FTS5 string literal: always a phrase, never an operator."""
    return '"' + term.replace('"', '""') + '"'


def stem(word: str) -> str:
    """A crude English stem, the same for "graph"/"graphs", "sort"/"sorting"/"sorted"."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word
