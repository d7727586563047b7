// Drives our server with masto.js the way a web client would: upload an image through
// POST /api/v2/media (masto polls GET /api/v1/media/:id until it is processed), post it,
// read it back. Prints one JSON object for tests/clients/test_masto.py to check.
import { createRestAPIClient } from "masto";
import { readFile } from "node:fs/promises";

const masto = createRestAPIClient({ url: process.env.SERVER_URL, accessToken: process.env.ACCESS_TOKEN });
const me = await masto.v1.accounts.verifyCredentials();
const file = new Blob([await readFile(process.env.IMAGE_PATH)], { type: "image/png" });
const media = await masto.v2.media.create({ file, description: "A green square, uploaded by masto" });
const status = await masto.v1.statuses.create({ status: "Hello from masto.js", mediaIds: [media.id] });
const fetched = await masto.v1.statuses.$select(status.id).fetch();
const home = await masto.v1.timelines.home.list({ limit: 5 });
console.log(JSON.stringify({ me, media, status, fetched, homeIds: home.map((s) => s.id) }));
