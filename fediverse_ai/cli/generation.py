"""`generate` (an operator makes images from the command line, e.g. to test the model) and
`prompt-filter` (the admin's blocked and sensitive terms)."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from ..errors import NotFound
from ..jobs import Worker
from ..jobs.registry import load_handlers
from ..models import GenerationJob, MediaAttachment
from ..runtime import Runtime
from ..services.accounts import find_local
from ..services.generation import GenerationRequest, request_generation
from ..services.prompt_filter import add_rule, list_rules, remove_rule
from .common import CommandFailed, run_with_runtime


def register(commands: argparse._SubParsersAction) -> None:
    gen = commands.add_parser(
        "generate", help="make images from a prompt as a user (runs the generation lane here)",
        description=(
            "Queue a generation for a local user, through the same service, quotas and filter as the "
            "web, then run the generation lane in this process until it is done and print the files. "
            "With --queue-only it is left to the running instance's workers."
        ),
    )
    gen.add_argument("prompt")
    gen.add_argument("--user", required=True, help="local username the images belong to")
    gen.add_argument("--negative", default="", help="negative prompt")
    for name, kind in (("seed", int), ("steps", int), ("guidance", float), ("width", int), ("height", int)):
        gen.add_argument(f"--{name}", type=kind, help=f"{name} (default: the model's)")
    gen.add_argument("--count", type=int, default=1, help="number of images (default: 1)")
    gen.add_argument("--queue-only", action="store_true", help="only queue it; the instance's workers run it")
    gen.set_defaults(handler=cmd_generate)

    rules = commands.add_parser("prompt-filter", help="blocked and sensitive prompt terms",
                                description="Manage the prompt filter users' prompts are checked against.")
    actions = rules.add_subparsers(dest="filter_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="add a term (whole words, any case) or --regex pattern",
        description="Add a rule: prompts (and negative prompts) that match it are refused with the reason "
                    "shown to the user, or with --sensitive generated but marked sensitive.",
    )
    add.add_argument("pattern")
    add.add_argument("--reason", required=True, help="what the user is told")
    add.add_argument("--regex", action="store_true", help="the pattern is a regular expression")
    add.add_argument("--sensitive", action="store_true",
                     help="do not refuse: generate, but mark the images sensitive")
    add.set_defaults(handler=cmd_filter_add)
    actions.add_parser(
        "list", help="list the rules", description="List every prompt filter rule with its id, action and reason.",
    ).set_defaults(handler=cmd_filter_list)
    remove = actions.add_parser("remove", help="remove a rule by id",
                                description="Remove a prompt filter rule by the id `list` shows.")
    remove.add_argument("rule_id", type=int)
    remove.set_defaults(handler=cmd_filter_remove)


def cmd_generate(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> int:
        async with runtime.db.transaction() as session:
            found = await find_local(session, args.user)
            if found is None:
                raise NotFound(f"no local user named {args.user!r}", field="user")
            job = await request_generation(session, runtime.settings, found.account, GenerationRequest(
                prompt=args.prompt, negative_prompt=args.negative, seed=args.seed, steps=args.steps,
                guidance=args.guidance, width=args.width, height=args.height, count=args.count, source="cli",
            ))
        print(f"queued generation {job.id}: seed {job.seed}, {job.steps} step(s), {job.width}x{job.height}",
              flush=True)
        if args.queue_only:
            return 0
        load_handlers()
        worker = Worker(runtime, "generation")
        while True:
            async with runtime.db.session() as session:
                current = await session.get(GenerationJob, job.id)
            if current is None or current.state not in ("queued", "running"):
                break
            await worker.run_once()
        if current is None or current.state != "done":
            raise CommandFailed(f"generation {job.id} {getattr(current, 'state', 'vanished')}: "
                                f"{getattr(current, 'error', '')}")
        async with runtime.db.session() as session:
            media = (await session.execute(
                select(MediaAttachment).where(MediaAttachment.generation_job_id == job.id)
                .order_by(MediaAttachment.position)
            )).scalars().all()
        for m in media:
            print(runtime.settings.media.dir / str(m.file_path))
        print(json.dumps(current.recipe, indent=2))
        return 0

    return run_with_runtime(args, body, log=True)


def cmd_filter_add(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            rule = await add_rule(session, pattern=args.pattern, reason=args.reason, is_regex=args.regex,
                                  action="sensitive" if args.sensitive else "block")
        print(f"rule {rule.id} added: {rule.action} {'regex' if rule.is_regex else 'term'} {rule.pattern!r}")

    run_with_runtime(args, body)
    return 0


def cmd_filter_list(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rules = await list_rules(session)
        for r in rules:
            print(f"{r.id}  {r.action:<9} {'regex' if r.is_regex else 'term ':<5}  {r.pattern!r}  -> {r.reason}")
        if not rules:
            print("(no rules)")

    run_with_runtime(args, body)
    return 0


def cmd_filter_remove(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await remove_rule(session, args.rule_id)
        print(f"rule {args.rule_id} removed")

    run_with_runtime(args, body)
    return 0
