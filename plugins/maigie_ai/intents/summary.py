"""A local extractive summary: the sentences that carry the text's most frequent ideas.

Sentences are scored by the document frequency of their content words (stop words
removed), with a small bonus for the opening sentence; the best ones are returned in
their original order. Deterministic, no model, no network.
"""

from __future__ import annotations

import re
from collections import Counter

STOP_WORDS = frozenset(
    (
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "one",
        "two",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "many",
        "much",
    )
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n{2,}|\n(?=\s*[-*•]\s)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def sentences(text: str) -> list[str]:
    parts = [p.strip(" \n\t-*•") for p in _SENTENCE.split(text.strip())]
    return [re.sub(r"\s+", " ", p) for p in parts if len(p.split()) >= 3]


def summarise(text: str, max_sentences: int | None = None) -> str:
    """The ``max_sentences`` (default: about a third, 1 to 5) most central sentences."""
    found = sentences(text)
    if not found:
        return re.sub(r"\s+", " ", text.strip())
    wanted = max_sentences or min(5, max(1, round(len(found) / 3)))
    if len(found) <= wanted:
        return " ".join(found)
    words = [[w.lower() for w in _WORD.findall(s) if w.lower() not in STOP_WORDS] for s in found]
    frequency = Counter(w for ws in words for w in set(ws))
    top = max(frequency.values(), default=1)

    def score(index: int) -> float:
        ws = words[index]
        if not ws:
            return 0.0
        value: float = sum(frequency[w] / top for w in ws) / (len(ws) ** 0.5)
        return value * (1.2 if index == 0 else 1.0)

    best = sorted(range(len(found)), key=lambda i: (-score(i), i))[:wanted]
    return " ".join(found[i] for i in sorted(best))
