"""The prompt filter: the admin's blocked terms and patterns, and terms that mark images sensitive.

Pure matching, no database: services load the rules (PromptFilterRule rows) and ask for a
verdict. A plain term matches as a whole word, case-insensitively ("ass" does not block
"class"); a regex rule is searched case-insensitively as written. The first blocking rule's
reason is what the user sees, so admins write reasons for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ACTIONS = ("block", "sensitive")


@dataclass(frozen=True)
class Rule:
    pattern: str
    is_regex: bool
    reason: str
    action: str = "block"


@dataclass(frozen=True)
class Verdict:
    blocked_reason: str | None
    sensitive_reasons: tuple[str, ...]

    @property
    def sensitive(self) -> bool:
        return bool(self.sensitive_reasons)


def compile_rule(pattern: str, is_regex: bool) -> re.Pattern[str]:
    """The rule's matcher; raises re.error for a regex that does not compile."""
    if is_regex:
        return re.compile(pattern, re.IGNORECASE)
    return re.compile(r"(?<!\w)" + re.escape(pattern.strip()) + r"(?!\w)", re.IGNORECASE)


def judge(texts: Iterable[str], rules: Iterable[Rule]) -> Verdict:
    joined = "\n".join(texts)
    sensitive: list[str] = []
    for rule in rules:
        try:
            matcher = compile_rule(rule.pattern, rule.is_regex)
        except re.error:
            continue  # refused when the rule was added; a broken row must not block everything
        if not matcher.search(joined):
            continue
        if rule.action == "block":
            return Verdict(blocked_reason=rule.reason, sensitive_reasons=tuple(sensitive))
        sensitive.append(rule.reason)
    return Verdict(blocked_reason=None, sensitive_reasons=tuple(sensitive))
