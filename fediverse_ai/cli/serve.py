"""`run` serves the instance (web + in-process workers); `worker` runs chosen lanes alone,
e.g. only the generation lane on a GPU box, against the same database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig

from ..config import LANES
from ..jobs.registry import load_handlers
from ..jobs.runner import Runner
from ..jobs.worker import Worker
from ..runtime import Runtime
from ..web import create_app
from .common import CommandFailed, run_with_runtime
from .model import startup_notice

log = logging.getLogger("fediverse_ai")


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="serve the instance: web, ActivityPub, API and (by default) the job workers",
        description=(
            "Serve the instance with hypercorn. Unless workers.in_process is false or --no-workers "
            "is given, every lane's workers run in the same process. Refuses to start on a "
            "database schema that is behind (run `fediverse-ai migrate`)."
        ),
    )
    run.add_argument("--host", help="address to listen on (default: server.host)")
    run.add_argument("--port", type=int, help="port to listen on (default: server.port)")
    run.add_argument("--no-workers", action="store_true",
                     help="serve only; run `fediverse-ai worker` processes for the lanes")
    run.add_argument("--tiny-model", action="store_true",
                     help="generate with the built-in tiny test model (no download; images are noise), "
                          "like generation.offline_tiny_model = true")
    run.set_defaults(handler=cmd_run)

    worker = commands.add_parser(
        "worker",
        help="run job workers for some lanes in this process (scale out, GPU boxes)",
        description=(
            "Claim and run jobs of the given lanes from the shared database. Start as many as you "
            "like on as many machines as you like: jobs are claimed so that each runs once. "
            f"Lanes: {', '.join(LANES)}."
        ),
    )
    worker.add_argument("--lane", action="append", choices=LANES, required=True,
                        help="a lane to work on; repeat for several")
    worker.add_argument("--concurrency", type=int,
                        help="jobs in flight per lane (default: workers.lanes from the config)")
    worker.add_argument("--drain", action="store_true",
                        help="exit once no job of these lanes is due, instead of waiting for more")
    worker.set_defaults(handler=cmd_worker)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def cmd_run(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        settings = runtime.settings
        host = args.host or settings.server.host
        port = args.port or settings.server.port
        app = create_app(runtime, workers=False if args.no_workers else None)
        config = HypercornConfig()
        config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
        config.accesslog = None
        config.errorlog = log
        config.graceful_timeout = 15
        stop = _stop_on_signals()
        log.info("serving", extra={"listen": f"http://{host}:{port}", "public_url": settings.instance.base_url})
        print(f"fediverse_ai is serving {settings.instance.base_url} on http://{host}:{port}/ "
              "(Ctrl-C stops it)", flush=True)
        notice = startup_notice(settings) if not args.no_workers else None
        if notice:
            log.warning("image model unavailable", extra={"notice": notice})
            print(notice, flush=True)
        await serve(app, config, shutdown_trigger=stop.wait)

    run_with_runtime(args, body, log=True)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    if args.concurrency is not None and args.concurrency < 1:
        raise CommandFailed("--concurrency must be 1 or more")

    async def body(runtime: Runtime) -> None:
        configured = runtime.settings.workers.lanes
        lanes = {lane: args.concurrency or max(1, configured.get(lane, 1)) for lane in args.lane}
        notice = startup_notice(runtime.settings) if "generation" in lanes else None
        if notice:
            print(notice, flush=True)
        if args.drain:
            load_handlers()
            workers = [Worker(runtime, lane, n) for lane, n in lanes.items()]
            handled = 0
            while True:
                batch = sum(await asyncio.gather(*(w.run_once() for w in workers)))
                if batch == 0:
                    break
                handled += batch
            print(f"drained: {handled} job(s) handled", flush=True)
            return
        runner = Runner(runtime, lanes)
        stop = _stop_on_signals()
        print(f"worker running lanes {', '.join(f'{k}x{v}' for k, v in lanes.items())} (Ctrl-C stops it)",
              flush=True)
        await runner.run_until_stopped(stop)

    run_with_runtime(args, body, log=True)
    return 0
