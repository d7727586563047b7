"""Running the instance from the browser (admins and moderators): users (approve, suspend,
silence), reports (ours and remote Flags) with actions, domain policies, the prompt filter, and
the job queue (depth per lane, failing remote hosts)."""

from __future__ import annotations

import datetime as dt

from quart import Blueprint, g, redirect, render_template, request
from quart.typing import ResponseReturnValue
from sqlalchemy import select

from ..errors import AppError, NotFound
from ..jobs.queue import drop_failed, host_failures, lane_depths, recent_failures, retry_now
from ..models import Report
from ..services import accounts, prompt_filter, registrations, staff_actions, timelines
from .csrf import check_csrf
from .page_helpers import runtime, staff

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("/")
@staff
async def users() -> ResponseReturnValue:
    async with runtime().db.session() as session:
        rows = [u for u in await accounts.list_local_users(session) if u.account.actor_type != "Application"]
        invites = await registrations.list_invites(session)
    return await render_template("admin/users.html", users=rows, invites=invites, section="users",
                                 mode=runtime().settings.registration.mode)


@blueprint.post("/invites")
@staff
async def create_invite() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    uses, days = form.get("max_uses", ""), form.get("days", "")
    async with runtime().db.transaction() as session:
        await registrations.create_invite(session, by=g.account, max_uses=int(uses) if uses.isdigit() else None,
                                          expires_in=dt.timedelta(days=int(days)) if days.isdigit() else None)
    return redirect("/admin/")


@blueprint.post("/users/<username>/<action>")
@staff
async def user_action(username: str, action: str) -> ResponseReturnValue:
    await check_csrf()
    async with runtime().db.transaction() as session:
        if action in ("suspend", "unsuspend"):
            await accounts.set_suspended(session, username, action == "suspend", by=g.account)
        elif action in ("silence", "unsilence"):
            account = await staff_actions.find_user_account(session, username)
            await staff_actions.set_silenced(session, account, action == "silence", by=g.account)
        elif action == "approve":
            found = await accounts.find_local(session, username)
            if found is None:
                raise NotFound(f"no local user named {username!r}")
            await registrations.set_approved(session, found.user.id, by=g.account)
        else:
            raise NotFound("no such action")
    return redirect("/admin/")


@blueprint.get("/reports")
@staff
async def reports() -> ResponseReturnValue:
    async with runtime().db.session() as session:
        rows = list((await session.execute(select(Report).order_by(Report.id.desc()).limit(100))).scalars())
        people = await timelines.authors(session, {r.account_id for r in rows} | {r.target_account_id for r in rows})
    return await render_template("admin/reports.html", reports=rows, people=people, section="reports")


async def _filter_page(error: AppError | None = None) -> ResponseReturnValue:
    async with runtime().db.session() as session:
        rules = await prompt_filter.list_rules(session)
    html = await render_template("admin/prompt_filter.html", rules=rules, error=error, section="filter")
    return html, error.status if error else 200


@blueprint.post("/reports/<int:report_id>/<action>")
@staff
async def report_action(report_id: int, action: str) -> ResponseReturnValue:
    await check_csrf()
    async with runtime().db.transaction() as session:
        await staff_actions.resolve_report(session, report_id, action, by=g.account)
    return redirect("/admin/reports")


async def _domains_page(error: AppError | None = None) -> ResponseReturnValue:
    async with runtime().db.session() as session:
        policies = await staff_actions.list_domain_policies(session)
    html = await render_template("admin/domains.html", policies=policies, error=error, section="domains")
    return html, error.status if error else 200


@blueprint.get("/domains")
@staff
async def domains() -> ResponseReturnValue:
    return await _domains_page()


@blueprint.post("/domains")
@staff
async def add_domain_policy() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    try:
        async with runtime().db.transaction() as session:
            await staff_actions.set_domain_policy(session, form.get("domain", ""), form.get("severity", "suspend"),
                                                  by=g.account, public_comment=form.get("public_comment", ""),
                                                  reject_media=bool(form.get("reject_media")))
    except AppError as exc:
        return await _domains_page(exc)
    return redirect("/admin/domains")


@blueprint.post("/domains/<int:policy_id>/delete")
@staff
async def remove_domain_policy(policy_id: int) -> ResponseReturnValue:
    await check_csrf()
    async with runtime().db.transaction() as session:
        await staff_actions.remove_domain_policy(session, policy_id, by=g.account)
    return redirect("/admin/domains")


@blueprint.get("/prompt-filter")
@staff
async def prompt_rules() -> ResponseReturnValue:
    return await _filter_page()


@blueprint.post("/prompt-filter")
@staff
async def add_prompt_rule() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    try:
        async with runtime().db.transaction() as session:
            await prompt_filter.add_rule(session, pattern=form.get("pattern", ""), reason=form.get("reason", ""),
                                         is_regex=bool(form.get("is_regex")), action=form.get("action", "block"),
                                         by=g.account)
    except AppError as exc:
        return await _filter_page(exc)
    return redirect("/admin/prompt-filter")


@blueprint.post("/prompt-filter/<int:rule_id>/delete")
@staff
async def remove_prompt_rule(rule_id: int) -> ResponseReturnValue:
    await check_csrf()
    async with runtime().db.transaction() as session:
        await prompt_filter.remove_rule(session, rule_id, by=g.account)
    return redirect("/admin/prompt-filter")


@blueprint.get("/queue")
@staff
async def queue() -> ResponseReturnValue:
    db = runtime().db
    return await render_template("admin/queue.html", depths=await lane_depths(db), hosts=await host_failures(db),
                                 failures=await recent_failures(db), limits=runtime().settings.limits,
                                 section="queue")


@blueprint.post("/queue/<int:job_id>/<action>")
@staff
async def job_action(job_id: int, action: str) -> ResponseReturnValue:
    """Retry a failed job now, or drop it for good."""
    await check_csrf()
    if action not in ("retry", "drop"):
        raise NotFound("no such action")
    done = await (retry_now if action == "retry" else drop_failed)(runtime().db, job_id)
    if not done:
        raise NotFound("no such failed job")
    return redirect("/admin/queue")
