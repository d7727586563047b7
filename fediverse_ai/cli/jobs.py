"""`jobs`: the queue as an admin sees it: depth per lane and state, failing hosts, retries."""

from __future__ import annotations

import argparse

from ..activitypub.delivery import troubled_hosts
from ..jobs import queue
from ..runtime import Runtime
from .common import CommandFailed, run_with_runtime


def register(commands: argparse._SubParsersAction) -> None:
    jobs = commands.add_parser("jobs", help="show queue depth per lane and failing remote hosts",
                               description="Inspect the durable job queue.")
    jobs.add_argument("--retry", type=int, metavar="JOB_ID", help="put a failed or waiting job back at the front")
    jobs.set_defaults(handler=cmd_jobs)


def cmd_jobs(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        if args.retry is not None:
            if not await queue.retry_now(runtime.db, args.retry):
                raise CommandFailed(f"job {args.retry} is not failed or queued (or does not exist)")
            print(f"job {args.retry} queued to run now")
            return
        depths = await queue.lane_depths(runtime.db)
        states = ("queued", "running", "done", "failed")
        print(f"{'LANE':<12}" + "".join(f"{s.upper():>9}" for s in states))
        for lane in sorted(depths):
            print(f"{lane:<12}" + "".join(f"{depths[lane].get(s, 0):>9}" for s in states))
        if not depths:
            print("(no jobs)")
        failing = await queue.host_failures(runtime.db)
        if failing:
            print("\nFailing remote hosts:")
            for row in failing:
                print(f"  {row['host']:<32} {row['failing_jobs']:>5} job(s)  last: "
                      f"{row['last_status'] or '-'} {(row['last_error'] or '')[:80]}")
        hosts = await troubled_hosts(runtime.db)
        if hosts:
            print("\nDelivery health (failures on distinct days; unavailable hosts are tried every few hours):")
            for host in hosts:
                state = f"UNAVAILABLE since {host.unavailable_since:%Y-%m-%d}" if host.unavailable_since else "failing"
                print(f"  {host.domain:<32} {state:<28} {len(host.failure_days)} day(s), {host.failures} failure(s)")

    run_with_runtime(args, body)
    return 0
