"""Course outlines for "I want to learn X": a template per kind of subject.

The offline assistant has no model to design a syllabus, so it recognises the kind of
subject from its words (computing, mathematics, a language, a science, an exam, the
humanities, a craft or art, business) and fills that kind's outline with the subject's
name. A few well-known subjects have their own outline. The user edits the course
afterwards; the reply says it came from a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outline:
    kind: str
    modules: list[tuple[str, list[str]]]  # (module title, topic titles); "{s}" = subject


KNOWN: dict[str, list[tuple[str, list[str]]]] = {
    "data structures": [
        (
            "Foundations",
            ["Complexity and Big-O", "Arrays and dynamic arrays", "Memory and references"],
        ),
        ("Linear structures", ["Linked lists", "Stacks", "Queues and deques"]),
        ("Hashing", ["Hash functions", "Hash tables and collisions", "Sets and maps"]),
        (
            "Trees",
            [
                "Binary trees and traversals",
                "Binary search trees",
                "Balanced trees",
                "Heaps and priority queues",
            ],
        ),
        ("Graphs", ["Graph representations", "Breadth- and depth-first search", "Shortest paths"]),
        (
            "Practice and review",
            ["Choosing a data structure", "Interview-style problems", "Final review"],
        ),
    ],
    "algorithms": [
        ("Foundations", ["Complexity analysis", "Recursion", "Proof of correctness"]),
        (
            "Sorting and searching",
            ["Elementary sorts", "Merge sort and quicksort", "Binary search"],
        ),
        ("Design techniques", ["Divide and conquer", "Greedy algorithms", "Dynamic programming"]),
        ("Graph algorithms", ["Traversals", "Shortest paths", "Minimum spanning trees"]),
        ("Practice and review", ["Problem sets", "Timed practice", "Final review"]),
    ],
}

KINDS: list[tuple[str, re.Pattern[str], list[tuple[str, list[str]]]]] = [
    (
        "exam preparation",
        re.compile(
            r"\b(exam|test|finals?|midterms?|sat|gre|gmat|ielts|toefl|certification|quiz)\b", re.I
        ),
        [
            (
                "Know the exam",
                ["Syllabus and format", "Past papers overview", "Baseline self-test"],
            ),
            ("Core content", ["Key topics, part 1", "Key topics, part 2", "Key topics, part 3"]),
            ("Weak spots", ["Error log review", "Targeted practice", "Spaced repetition"]),
            ("Exam practice", ["Timed past paper 1", "Timed past paper 2", "Exam technique"]),
            ("Final review", ["Summary sheets", "Light revision", "Exam-day plan"]),
        ],
    ),
    (
        "computing",
        re.compile(
            r"\b(python|java(script)?|typescript|rust|golang|go|c\+\+|c#|ruby|kotlin|swift|sql|"
            r"programming|coding|code|software|web|react|django|flask|algorithms?|data|"
            r"structures?|machine learning|ml|ai|computer|computing|networks?|databases?|linux|"
            r"devops|cloud|security|cyber|html|css|api|operating systems?)\b",
            re.I,
        ),
        [
            (
                "Getting started with {s}",
                ["Setting up your tools", "Core vocabulary of {s}", "A first small exercise"],
            ),
            ("{s} fundamentals", ["Key concepts", "Worked examples", "Common pitfalls"]),
            (
                "Building blocks",
                ["Core techniques", "Reading real-world examples", "Practice problems"],
            ),
            ("{s} in practice", ["A guided project", "Debugging and testing", "Best practices"]),
            (
                "Going further",
                ["Advanced topics", "Performance and trade-offs", "Review and next steps"],
            ),
        ],
    ),
    (
        "mathematics",
        re.compile(
            r"\b(math(s|ematics)?|algebra|calculus|geometry|trigonometry|statistics|probability|"
            r"linear algebra|discrete|number theory|topology|analysis|differential equations)\b",
            re.I,
        ),
        [
            (
                "Prerequisites",
                ["Notation and definitions", "Review of prior knowledge", "Diagnostic problems"],
            ),
            ("Core ideas of {s}", ["Definitions and intuition", "Key theorems", "Worked examples"]),
            ("Techniques", ["Standard methods", "Problem-solving strategies", "Practice set"]),
            (
                "Applications",
                ["Applied problems", "Connections to other fields", "Mixed exercises"],
            ),
            ("Review", ["Summary of results", "Past problems", "Self-test"]),
        ],
    ),
    (
        "language",
        re.compile(
            r"\b(spanish|french|german|italian|portuguese|japanese|chinese|mandarin|cantonese|"
            r"korean|arabic|russian|hindi|dutch|swedish|greek|latin|turkish|polish|english|"
            r"language|vocabulary|grammar)\b",
            re.I,
        ),
        [
            (
                "Foundations of {s}",
                ["Pronunciation and sounds", "Greetings and introductions", "Numbers and dates"],
            ),
            (
                "Everyday vocabulary",
                ["Food and shopping", "Travel and directions", "Family and work"],
            ),
            ("Grammar essentials", ["Present tense", "Past and future", "Questions and negation"]),
            (
                "Listening and speaking",
                ["Listening practice", "Conversation practice", "Shadowing"],
            ),
            ("Reading and writing", ["Short texts", "Writing practice", "Review and self-test"]),
        ],
    ),
    (
        "science",
        re.compile(
            r"\b(physics|chemistry|biology|anatomy|physiology|astronomy|geology|ecology|"
            r"neuroscience|genetics|organic|biochemistry|science|mechanics|thermodynamics)\b",
            re.I,
        ),
        [
            ("Foundations of {s}", ["Key terms and units", "Core principles", "Scientific method"]),
            (
                "Core concepts",
                [
                    "Concept 1: models and laws",
                    "Concept 2: systems and processes",
                    "Worked problems",
                ],
            ),
            (
                "Experiments and evidence",
                ["Classic experiments", "Data and measurement", "Lab or simulation practice"],
            ),
            ("Applications", ["Real-world applications", "Problem sets", "Current research"]),
            ("Review", ["Concept map", "Practice questions", "Self-test"]),
        ],
    ),
    (
        "humanities",
        re.compile(
            r"\b(history|philosophy|literature|economics|psychology|sociology|politics|law|"
            r"art history|religion|anthropology|ethics|geography|poetry|writing)\b",
            re.I,
        ),
        [
            (
                "Introduction to {s}",
                ["Scope and key questions", "Important figures", "Core vocabulary"],
            ),
            ("Major themes", ["Theme 1", "Theme 2", "Theme 3"]),
            (
                "Primary sources",
                ["Reading key texts", "Analysis and interpretation", "Discussion notes"],
            ),
            (
                "Debates and perspectives",
                ["Competing views", "Critical evaluation", "Writing an argument"],
            ),
            ("Review", ["Timeline or concept map", "Essay practice", "Self-test"]),
        ],
    ),
    (
        "craft",
        re.compile(
            r"\b(guitar|piano|violin|drums|music|singing|drawing|painting|photography|design|"
            r"cooking|baking|dance|yoga|chess|knitting|sketching|illustration)\b",
            re.I,
        ),
        [
            (
                "Getting started with {s}",
                ["Equipment and setup", "Basic technique", "A first piece"],
            ),
            (
                "Fundamentals",
                ["Core technique drills", "Theory you need", "Daily practice routine"],
            ),
            (
                "Building skill",
                ["Intermediate techniques", "Learning from examples", "Feedback and correction"],
            ),
            ("Projects", ["A complete piece", "Refining your work", "Sharing and critique"]),
            ("Next steps", ["Advanced directions", "Practice plan", "Review"]),
        ],
    ),
    (
        "business",
        re.compile(
            r"\b(marketing|finance|accounting|management|business|entrepreneurship|sales|"
            r"leadership|investing|product management|project management|negotiation)\b",
            re.I,
        ),
        [
            (
                "Foundations of {s}",
                ["Key concepts", "Vocabulary", "How it fits in an organisation"],
            ),
            ("Frameworks", ["Framework 1", "Framework 2", "Case study"]),
            ("Tools and methods", ["Common tools", "Metrics", "Worked example"]),
            ("Applying it", ["A small project", "Case analysis", "Presenting results"]),
            ("Review", ["Summary", "Self-test", "Next steps"]),
        ],
    ),
]

GENERAL: list[tuple[str, list[str]]] = [
    ("Introduction to {s}", ["What {s} is about", "Key vocabulary", "Setting your learning goals"]),
    ("Core concepts", ["Fundamental ideas", "Worked examples", "Common misconceptions"]),
    ("Deepening", ["Intermediate topics", "Practice exercises", "Connecting the ideas"]),
    ("Applying {s}", ["A hands-on project", "Real-world examples", "Reflection"]),
    ("Review", ["Summary notes", "Self-test", "Next steps"]),
]

MINUTES_PER_TOPIC = 45


def outline_for(subject: str) -> Outline:
    key = subject.lower().strip()
    if key in KNOWN:
        return Outline("a curated outline", KNOWN[key])
    for kind, pattern, modules in KINDS:
        if pattern.search(subject):
            return Outline(f"the {kind} template", modules)
    return Outline("the general template", GENERAL)


def course_modules(subject: str) -> tuple[str, list[dict[str, Any]]]:
    """(which template, modules as the create_course payload wants them)."""
    outline = outline_for(subject)
    modules: list[dict[str, Any]] = [
        {
            "title": title.format(s=subject)[:200],
            "topics": [
                {"title": topic.format(s=subject)[:200], "estimated_minutes": MINUTES_PER_TOPIC}
                for topic in topics
            ],
        }
        for title, topics in outline.modules
    ]
    return outline.kind, modules
