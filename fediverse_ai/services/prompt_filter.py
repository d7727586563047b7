"""The admin's prompt filter rules: add, list, remove (generation/safety.py does the matching).

A rule is refused when adding it, not when a user's prompt meets it: a regex that does not
compile, an empty pattern or a reason-less rule are 422s naming the field.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound, ValidationError
from ..generation.safety import ACTIONS, compile_rule
from ..models import Account, AuditEvent, PromptFilterRule


async def add_rule(
    session: AsyncSession, *, pattern: str, reason: str, is_regex: bool = False, action: str = "block",
    by: Account | None = None,
) -> PromptFilterRule:
    if not pattern.strip():
        raise ValidationError("pattern must not be empty", field="pattern")
    if len(pattern) > 1024:
        raise ValidationError("pattern is longer than 1024 characters", field="pattern")
    if not reason.strip():
        raise ValidationError("reason must say why, for the person whose prompt is refused", field="reason")
    if action not in ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(ACTIONS)}", field="action")
    try:
        compile_rule(pattern, is_regex)
    except re.error as exc:
        raise ValidationError(f"pattern is not a valid regular expression: {exc}", field="pattern") from None
    rule = PromptFilterRule(pattern=pattern.strip() if not is_regex else pattern, is_regex=is_regex,
                            reason=reason.strip()[:512], action=action)
    session.add(rule)
    await session.flush()
    session.add(AuditEvent(account_id=by.id if by else None, action="prompt_filter.add", target_type="prompt_rule",
                           target_id=rule.id, detail={"pattern": pattern, "is_regex": is_regex, "action": action}))
    await session.flush()
    return rule


async def list_rules(session: AsyncSession) -> list[PromptFilterRule]:
    return list((await session.execute(select(PromptFilterRule).order_by(PromptFilterRule.id))).scalars())


async def remove_rule(session: AsyncSession, rule_id: int, *, by: Account | None = None) -> None:
    rule = await session.get(PromptFilterRule, rule_id)
    if rule is None:
        raise NotFound(f"no prompt filter rule {rule_id}", field="id")
    await session.delete(rule)
    session.add(AuditEvent(account_id=by.id if by else None, action="prompt_filter.remove",
                           target_type="prompt_rule", target_id=rule_id, detail={"pattern": rule.pattern}))
    await session.flush()
