"""`spec_check`: a plan or a diff checked against the MUST/SHOULD lines of the context layers.

A rule is a line with RFC 2119 words in capitals (MUST, MUST NOT, SHALL, SHOULD, NEVER) or a
list item that starts with "Never", "Do not", "Don't" or "Avoid". Only prohibitions can be
checked without a model: "MUST NOT use `print`", "NEVER commit secrets", "Use httpx instead
of requests" (the part after "instead of" / "rather than" is forbidden). A rule is broken
when the checked text uses what it forbids: its `code spans` or quoted terms, else the words
of its forbidden phrase all in one line. A line that itself says "not", "no", "avoid",
"without" or "instead of" before the term does not count. For a unified diff only added
lines count, and an AGENTS.md or Kiro `fileMatch` steering file applies only to the files the
diff touches in its scope; for a plan, nested AGENTS.md apply when the plan names their folder.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Literal

from punie_core.specs.layers import Entry, read_text
from punie_core.specs.nouns import SpecViolation

RULE_WORDS = re.compile(r"\b(MUST|SHALL|SHOULD|NEVER|REQUIRED)\b")
LEADING_PROHIBITION = re.compile(
    r"^\s*(?:[-*+]|\d+\.)?\s*(?:\*\*)?(never|do not|don't|avoid|no)\b", re.IGNORECASE
)
NEGATION = re.compile(
    r"\b(must not|shall not|should not|never|do not|don't|avoid|no)\b", re.IGNORECASE
)
CLAUSE_END = re.compile(r";|\.(?:\s|$)|,\s*(?:use|prefer|instead)\b", re.IGNORECASE)
CODE_SPAN = re.compile(r"`([^`]+)`|\"([^\"]{2,})\"|'([^']{2,})'")
CUT = re.compile(
    r"[.;:(]|\s[-\u2013\u2014]\s|\b(?:unless|except|when|if|because|so that|without)\b",
    re.IGNORECASE,
)
WEAK_VERBS = frozenset("use uses using be is are have has rely depend on ever".split())
"""Verbs too common in plans to stand for a rule on their own; dropped from a rule's words."""
MIN_WORDS = 2
"""A prohibition without a code span needs this many words: "never passwords" is too vague."""
STOPWORDS = frozenset(
    "a an the any to of in on for with from by into at or and be is are ever directly "
    "code our your their its it this that these those all".split()
)
LINE_NEGATION = re.compile(
    r"\b(not|no|never|avoids?|without|instead of|rather than|removes?|replaces?|don't|doesn't)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rule:
    """A prohibition found in a context file."""

    level: Literal["MUST", "SHOULD"]
    text: str
    path: str
    line: int
    terms: tuple[str, ...]  # code spans / quoted terms: any one breaks the rule
    words: tuple[str, ...]  # else: all these words in one line break it


def _level(line: str) -> Literal["MUST", "SHOULD"]:
    words = set(RULE_WORDS.findall(line))
    if words & {"MUST", "SHALL", "NEVER", "REQUIRED"}:
        return "MUST"
    if "SHOULD" in words:
        return "SHOULD"
    lead = LEADING_PROHIBITION.match(line)
    return "SHOULD" if lead and lead.group(1).lower() == "avoid" else "MUST"


def _stem(word: str) -> str:
    """A crude stem: `secrets` -> `secret`, `committed` -> `commit`, `storing` -> `stor`."""
    word = word.lower()
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"  # queries, queried -> query
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # committ -> commit
    return word


def _phrase_words(phrase: str) -> tuple[str, ...]:
    phrase = CUT.split(phrase, 1)[0]
    words = re.findall(r"[A-Za-z][A-Za-z0-9_+#-]*", phrase)
    content = [w for w in words if w.lower() not in STOPWORDS and w.lower() not in WEAK_VERBS]
    stems = tuple(dict.fromkeys(_stem(w) for w in content[:4]))
    return stems if len(stems) >= MIN_WORDS else ()


def parse_rule(line: str, path: str, number: int) -> Rule | None:
    """The prohibition a rule line states, or None when the line forbids nothing checkable."""
    text = line.strip()
    if not (RULE_WORDS.search(text) or LEADING_PROHIBITION.match(text)):
        return None
    forbidden = None
    negation = NEGATION.search(text)
    if negation:
        forbidden = CLAUSE_END.split(text[negation.end() :], 1)[0]
    else:
        alternative = re.search(r"\b(?:instead of|rather than|over)\b\s+(.*)$", text, re.IGNORECASE)
        if alternative and RULE_WORDS.search(text):
            forbidden = CLAUSE_END.split(alternative.group(1), 1)[0]
    if forbidden is None:
        return None
    spans = tuple(
        next(g for g in match.groups() if g).strip() for match in CODE_SPAN.finditer(forbidden)
    )
    words = () if spans else _phrase_words(forbidden)
    if not spans and not words:
        return None
    return Rule(_level(text), text.lstrip("-*+ ").strip(), path, number, spans, words)


def rules_of(entry: Entry) -> list[Rule]:
    """Every checkable rule of a context file (outside code fences and HTML comments)."""
    text, problem = read_text(entry.absolute, entry.within)
    if problem:
        return []
    from punie_core.specs.features import visible_lines

    found = []
    for number, line in visible_lines(text, entry.file.path, []):
        rule = parse_rule(line, entry.file.path, number)
        if rule is not None:
            found.append(rule)
    return found


@dataclass(frozen=True)
class Checked:
    """The text to check: its lines and the files it touches (for a diff)."""

    lines: tuple[str, ...]
    files: tuple[str, ...]
    is_diff: bool


def checked_text(text: str) -> Checked:
    """Added lines and touched files of a unified diff, or every line of a plan."""
    is_diff = bool(re.search(r"^(diff --git |\+\+\+ |@@ )", text, re.MULTILINE))
    if not is_diff:
        mentioned = re.findall(r"[\w./-]+/[\w.-]+|[\w-]+\.py\b", text)
        return Checked(tuple(text.splitlines()), tuple(mentioned), False)
    files, lines = [], []
    for line in text.splitlines():
        if line.startswith("+++ "):
            name = line[4:].strip().split("\t", 1)[0]
            if name != "/dev/null":
                files.append(name[2:] if name.startswith(("a/", "b/")) else name)
        elif line.startswith("+") and not line.startswith("+++"):
            lines.append(line[1:])
    return Checked(tuple(lines), tuple(files), True)


def applies(entry: Entry, checked: Checked) -> bool:
    """Whether a context file's rules apply to what is checked (AGENTS.md scope, fileMatch)."""
    info = entry.file
    if info.source == "kiro steering":
        if info.scope == "manual":
            return False
        if info.scope:
            return any(fnmatch.fnmatch(f, info.scope) for f in checked.files)
        return True
    if info.source == "AGENTS.md" and info.scope:
        if checked.is_diff:
            return any(f.startswith(info.scope) for f in checked.files)
        return any(info.scope.rstrip("/") in line for line in checked.lines)
    return True


def breaks(rule: Rule, line: str) -> str | None:
    """The part of `line` that breaks `rule`, or None."""
    lowered = line.lower()
    for term in rule.terms:
        term_low = term.lower()
        index = lowered.find(term_low)
        if index >= 0 and term_low[:1].isalnum():
            # `print` must not match `sprint` or `blueprint`.
            before = lowered[index - 1 : index]
            if before and (before.isalnum() or before == "_"):
                index = -1
        if index >= 0 and not LINE_NEGATION.search(line[:index]):
            return term
    if rule.words and not LINE_NEGATION.search(line):
        # Words are a looser match than a code span: any negation in the line cancels it.
        stems = {_stem(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9_+#-]*", line)}
        if all(w in stems for w in rule.words):
            return " ".join(rule.words)
    return None


def check(text: str, entries: list[Entry]) -> list[SpecViolation]:
    """Every rule of `entries` that `text` (a plan or a unified diff) breaks, by file and line."""
    checked = checked_text(text)
    found: dict[tuple[str, int], SpecViolation] = {}
    for entry in entries:
        if entry.file.problem or not applies(entry, checked):
            continue
        for rule in rules_of(entry):
            for line in checked.lines:
                hit = breaks(rule, line)
                if hit is not None:
                    key = (rule.path, rule.line)
                    found.setdefault(
                        key,
                        SpecViolation(
                            level=rule.level,
                            rule=rule.text,
                            path=rule.path,
                            line=rule.line,
                            match=_clip(line.strip()),
                        ),
                    )
                    break
    return [found[key] for key in sorted(found)]


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
