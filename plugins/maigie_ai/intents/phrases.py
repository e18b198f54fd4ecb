# ruff: noqa: E501, RUF001  (regular expressions read best unbroken)
"""The phrasings the recognisers of ``parse`` look for, and the tidying of what they cut out.

A recogniser claims a message when its pattern here matches; the title, subject or
message left once the dates and times are cut out goes through ``clean_title`` (filler,
dangling prepositions) and ``title_case``/``sentence_case``. Adding a phrasing is a
change to a pattern here, not to the recognisers.
"""

from __future__ import annotations

import re

from maigie_ai.intents import when

FILLER_END = re.compile(
    r"(?:[\s,;:.!?]+|\b(?:please|pls|asap|thanks|thank you|for me|now|ok|okay|then)\b)+$", re.I
)
DANGLING = re.compile(
    r"(?:\s+|^)(?:on|at|for|from|by|this|next|to|in|of|the|and|with|starting)$", re.I
)
LEADING = re.compile(
    r"^(?:(?:to|of|for|about|on|that|the basics of|basics of|more about|some|a bit of|a session of|"
    r"a study session (?:for|on)|study time for|time (?:for|to)|a session (?:for|on))\s+)+",
    re.I,
)
SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "via",
        "with",
    ]
)


def tidy(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def clean_title(text: str) -> str:
    """Strip filler and dangling prepositions from a title cut out of a sentence."""
    text = text.strip(" ,;:.!?\"'")
    for _ in range(4):
        before = text
        text = FILLER_END.sub("", text).strip(" ,;:.!?")
        text = DANGLING.sub("", text).strip(" ,;:.!?")
        text = LEADING.sub("", text).strip()
        if text == before:
            break
    return text[:200]


def title_case(text: str) -> str:
    words = text.split()
    out = []
    for index, word in enumerate(words):
        if (
            any(c.isupper() for c in word)
            or any(c.isdigit() for c in word)
            or (index and word in SMALL_WORDS)
        ):
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- what each recogniser looks for ----------------------------------------------------

FORGET = re.compile(
    r"^(?:ok(?:ay)?,?\s+|please\s+|just\s+)?(?:forget (?:that|it|this|everything|about (?:it|that)|what i (?:said|asked))|"
    r"never ?mind|scratch that|start (?:over|again)|reset(?: (?:the|this|our))?(?: conversation| chat)?|"
    r"cancel(?: that| it)?|clear (?:the |this )?(?:context|conversation)|new topic)(?: please)?[\s.!]*$",
    re.I,
)
SUMMARISE = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:summari[sz]e|sum up|tl;?dr|give me (?:a |the )?(?:summary|gist|tl;?dr) of|make (?:a )?summary of)"
    r"(?:\s+(?:this|the following|that|it|for me|the text below|this text))*\s*(?:please)?\s*[:\-—]?\s*(?P<text>.*)$",
    re.I | re.S,
)
REMIND = re.compile(
    r"\b(?:remind me(?:\s+(?:to|about|that|of))?|(?:set|create|add) (?:a |me a )?reminder(?:\s+(?:to|for|about|that))?|"
    r"don'?t let me forget(?:\s+(?:to|about))?|reminder:)\s*(?P<rest>.*)$",
    re.I,
)
SCHEDULE_VERB = re.compile(
    r"\b(?:schedule|block(?:\s+(?:out|off))?|book|set aside|reserve|allocate|put|add|plan|pencil in)\b",
    re.I,
)
STRONG_SCHEDULE = re.compile(
    r"\b(?:schedule|block|book|set aside|reserve|allocate|pencil in)\b", re.I
)
CALENDAR_WORDS = re.compile(
    r"\s*\b(?:on|in|into|to)\s+(?:my|the)\s+(?:calendar|schedule|diary|agenda|planner)\b", re.I
)
RECURRENCE = re.compile(
    rf"\b(?:every|each)\s+(?:(?P<daily>day|morning|evening|night)|(?P<weekly>week)|{when._WEEKDAY})\b"
    r"|\b(?P<adv>daily|weekly)\b",
    re.I,
)
PLAN_WEEK = re.compile(
    r"\b(?:plan(?:\s+out)?|organi[sz]e|schedule|sort out|map out)\s+(?:my|the|this|next|our)\s+(?:(?:study|coming|next|this)\s+)?week\b"
    r"|\b(?:weekly|week'?s?)\s+(?:study\s+)?plan\b|\bplan\s+(?:for\s+)?(?:this|next|the)\s+week\b"
    r"|\bwhat should i (?:do|study|work on) this week\b|\bstudy plan for (?:this|next|the) week\b",
    re.I,
)
PROGRESS = re.compile(
    r"\bhow am i (?:doing|getting on|progressing)\b|\bam i (?:on track|behind|ahead|making progress)\b|"
    r"\bhow(?:'s| is| are) my (?:progress|goals|studies|studying|courses)\b|\b(?:show|check|what'?s|what is)\s+(?:me\s+)?my progress\b|"
    r"\bhow far (?:along )?am i\b|\bprogress (?:report|update|check)\b|\bstatus of my (?:goals|courses)\b|"
    r"^(?:my )?progress\??$|\bhow (?:well )?am i doing\b",
    re.I,
)
RESOURCE_NOUN = (
    r"(?:resources?|materials?|videos?|books?|articles?|readings?|tutorials?|links?|references?|"
    r"papers?|podcasts?|exercises?|courses?|sources?|something to (?:read|watch)|stuff|recommendations?)"
)
RESOURCES = [
    re.compile(
        rf"\b(?:give|recommend|suggest|find|show|send|need|want|any|looking for|point me to|share|list|get)\b.*?"
        rf"\b{RESOURCE_NOUN}\s+(?:on|about|for|to (?:learn|study)(?: about)?|covering|regarding|related to|in|into)\s+(?P<topic>.+)$",
        re.I,
    ),
    re.compile(
        rf"^(?:any\s+)?(?:good\s+)?{RESOURCE_NOUN}\s+(?:on|about|for)\s+(?P<topic>.+)$", re.I
    ),
    re.compile(
        r"\bwhat (?:should|could|can) i (?:read|watch|study|use) (?:to (?:learn|understand)(?: about)? |about |on |for )(?P<topic>.+)$",
        re.I,
    ),
    re.compile(
        r"\bwhere (?:can|should|do) i (?:learn|read|start learning)(?: about| up on)? (?P<topic>.+)$",
        re.I,
    ),
    re.compile(r"\brecommend (?:me )?(?:something|anything) (?:on|about|for) (?P<topic>.+)$", re.I),
]
COURSE_REQUEST = re.compile(
    r"\b(?:create|make|build|design|generate|set up|start)\s+(?:me\s+)?(?:a|an|my|new)?\s*(?:new\s+)?"
    r"(?:study\s+)?(?:course|curriculum|syllabus|study plan)\s+(?:on|about|in|for|to learn)\s+(?P<rest>.+)$",
    re.I,
)
GOAL_PATTERNS = [
    re.compile(
        r"\b(?:my goal is(?: to)?|set (?:me )?(?:a|an|the|my) (?:new )?goal(?: to| of| for)?|new goal:?|goal:)\s*(?P<what>.+)$",
        re.I,
    ),
    re.compile(
        r"\b(?:i (?:really )?(?:want|need|would like|'d like|have|hope|plan|must|aim|intend|got) to|i'?m (?:going|trying|aiming|planning|hoping) to|"
        r"i gotta|i'?ve got to|help me(?: to)?|i wanna)\s+"
        r"(?P<what>(?:pass|ace|finish|complete|reach|achieve|hit|score|submit|read|write|prepare for|get ready for|"
        r"be ready for|get (?:a|an|my)|improve|run|memori[sz]e|practi[cs]e|solve|graduate|publish|hand in)\b.+)$",
        re.I,
    ),
    re.compile(r"^(?P<what>(?:pass|ace|finish|complete|reach|achieve|submit)\b.+)$", re.I),
]
LEARN = re.compile(
    r"\b(?:learn(?:ing)?(?:\s+about)?|study(?:ing)?|master(?:ing)?|get (?:good|better) at|pick up|"
    r"teach me(?:\s+about)?|brush up on|get into|revise)\s+(?P<rest>.+)$",
    re.I,
)
LEARN_BARE = re.compile(
    r"\b(?:i (?:want|would like|'d like|need) to|help me|teach me|let'?s) (?:learn|study)\b\W*$",
    re.I,
)
GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|yo)\b[\s!,.a-z]{0,20}$", re.I
)
HELP = re.compile(
    r"\bwhat can you do\b|^help\W*$|\bhow (?:do|can) (?:i|you) use (?:you|this)\b|\bwhat do you do\b",
    re.I,
)
THANKS = re.compile(
    r"^(?:thanks|thank you|thx|ty|cheers|great,? thanks|awesome|perfect)\b.{0,30}$", re.I
)
