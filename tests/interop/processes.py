"""fediverse_ai instances as separate `fediverse-ai run` processes on loopback ports, each with
its own database and media folder, plus a Runtime on the same database so a test can act
through the services (the one write path) and read state, as an admin shell would."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime

from ..conftest import sqlite_url
from .peers import free_port, wait_for


@dataclass
class ProcessInstance:
    name: str
    database_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    lease_s: int = 300
    delivery_concurrency: int = 8
    generation_model: str | None = None  # a pipeline folder: runs the generation lane with it
    process: asyncio.subprocess.Process | None = None
    runtime: Runtime | None = None

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.domain}"

    @property
    def settings(self) -> Settings:
        return Settings().replace(
            instance__domain=self.domain, instance__scheme="http", instance__name=self.name,
            database__url=self.database_url, database__pool_size=4, media__dir=self.workdir / "media",
            federation__allow_private_addresses=True, federation__request_timeout_s=10.0,
            workers__poll_interval_s=0.1, workers__lease_s=self.lease_s,
        )

    def env(self) -> dict[str, str]:
        s = self.settings
        values = {
            "INSTANCE_DOMAIN": s.instance.domain, "INSTANCE_SCHEME": "http", "INSTANCE_NAME": self.name,
            "DATABASE_URL": s.database.url, "DATABASE_POOL_SIZE": "4", "MEDIA_DIR": str(s.media.dir),
            "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true", "FEDERATION_REQUEST_TIMEOUT_S": "10",
            "WORKERS_POLL_INTERVAL_S": "0.1", "WORKERS_LEASE_S": str(self.lease_s),
            "WORKERS_LANES": f"delivery={self.delivery_concurrency},inbox=4,fetch=2,"
                             f"generation={1 if self.generation_model else 0},media=2,system=1",
            "LOGGING_FORMAT": "json", "LOGGING_LEVEL": "INFO",
        }
        if self.generation_model:
            values |= {"GENERATION_MODEL": self.generation_model, "GENERATION_DEVICE": "cpu",
                       "GENERATION_BATCH_WINDOW_MS": "0"}
        clean = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_AI_")}
        return clean | {f"FEDIVERSE_AI_{k}": v for k, v in values.items()}

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115, ASYNC230 (handed to the child)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fediverse_ai", "run", "--port", str(self.port),
            cwd=self.workdir, env=self.env(), stdout=log, stderr=log,
        )
        log.close()
        if self.runtime is None:
            self.runtime = Runtime.from_settings(self.settings)
        async with aiohttp.ClientSession() as http:
            async def up() -> bool:
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited:\n{self.log()}")
                try:
                    async with http.get(f"{self.base}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False
            await wait_for(f"{self.name} to serve", up, within=30)

    def kill(self) -> None:
        """SIGKILL: no graceful hand-back of claimed jobs, as in a power cut."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.process = None

    async def close(self) -> None:
        await self.stop()
        if self.runtime is not None:
            await self.runtime.close()

    def log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text()[-6000:] if path.exists() else ""


@asynccontextmanager
async def instance_pair(database_url: str, sqlite_template: Path, workdir: Path, *,
                        generation_model: str | None = None) -> AsyncIterator[tuple[ProcessInstance, ProcessInstance]]:
    """Instance A on the given database (SQLite or PostgreSQL), B on its own SQLite, both serving."""
    shutil.copy(sqlite_template, workdir / "b.db")
    a = ProcessInstance("Alpha", database_url, workdir / "a", generation_model=generation_model)
    b = ProcessInstance("Beta", sqlite_url(workdir / "b.db"), workdir / "b")
    try:
        await a.start()
        await b.start()
        yield a, b
    finally:
        await a.close()
        await b.close()
