"""A bovine-herd server for fediverse_ai's interop tests, run by tests/interop/peers.py with the
interpreter of tests/interop/bovine/.venv.

It registers one actor, "bob", and adds admin routes (not ActivityPub, no authentication:
it only ever listens on 127.0.0.1):
    GET  /admin/actor     {"id": bob's actor id}
    GET  /admin/received  what bob's inbox received, oldest first
    POST /admin/outbox    {activity}: posted to bob's outbox as bob's client would (bovine
                          assigns the id and delivers it, signed)
Usage: python peer.py PORT DATABASE_FILE
"""

import sys

from bovine_herd import BovineHerd
from bovine_herd.add_to_queue import add_to_queue
from bovine_process import handle_outbox_item, process_inbox_item, process_outbox_item
from bovine_process.types import ProcessingItem
from bovine_process.utils import ProcessorList
from bovine_store import BovineAdminStore
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, current_app, request

port, database = int(sys.argv[1]), sys.argv[2]
origin = f"http://127.0.0.1:{port}"
app = Quart(__name__)
received: list[dict] = []
state: dict[str, str] = {}


async def start_inbox_task(item: ProcessingItem, actor) -> None:
    received.append(item.data)
    app.add_background_task(ProcessorList(process_inbox_item, add_to_queue).__call__, item, actor)


BovineHerd(app, start_background_task_inbox=start_inbox_task, db_url=f"sqlite://{database}")


@app.before_serving
async def register_bob() -> None:
    admin = BovineAdminStore(domain=origin)
    state["name"] = await admin.register("bob")
    actor = await admin.actor_for_name(state["name"])
    state["id"] = actor.actor_object.id


@app.get("/admin/actor")
async def admin_actor():
    return {"id": state["id"]}


@app.get("/admin/received")
async def admin_received():
    return received


@app.post("/admin/outbox")
async def admin_outbox():
    actor = await current_app.config["bovine_store"].actor_for_name(state["name"])
    item = await handle_outbox_item(ProcessingItem(state["id"], await request.get_json()), actor)
    await process_outbox_item(item, actor)
    return {"id": item.data.get("id"), "object": item.meta.get("object_location")}


if __name__ == "__main__":
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    import asyncio

    asyncio.run(serve(app, config))
