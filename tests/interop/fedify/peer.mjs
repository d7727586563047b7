// A small Fedify 1.5 server for fediverse_ai's interop tests (tests/interop/test_fedify.py).
//
// One actor, "alice", with an RSA and an Ed25519 key. It accepts every Follow, remembers its
// followers, and records every activity its inbox receives. Admin routes (not ActivityPub):
//   POST /admin/follow  {"actor": URL}    WebFinger + signed fetch of the actor, then Follow it
//   POST /admin/unfollow {"actor": URL}   Undo the Follow
//   POST /admin/post    {"content": HTML} Create(Note) to alice's followers
//   GET  /admin/received                  what the inbox received, as JSON-LD, oldest first
//   GET  /admin/fetch?url=URL             fetch a document as alice (signed), e.g. a Note
//   GET  /admin/fetch-media?url=URL       fetch a file (an attached image): status, type, size
// Listens on 127.0.0.1:$PORT; prints "ready" once serving.
import { serve } from "@hono/node-server";
import { Temporal } from "@js-temporal/polyfill";
import {
  Accept, Announce, Create, Delete, Endpoints, Follow, Like, MemoryKvStore, Note, Person, Undo, Update,
  createFederation, generateCryptoKeyPair, lookupWebFinger, PUBLIC_COLLECTION,
} from "@fedify/fedify";

const port = Number(process.env.PORT);
const origin = `http://127.0.0.1:${port}`;
const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
const followers = new Map(); // actor URI -> Actor object
const following = new Map(); // actor URI -> Follow activity
const received = [];

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify)",
      summary: "A Fedify 1.5 peer in fediverse_ai's test suite.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      url: ctx.getActorUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === "alice" ? keyPairs : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
  if (identifier !== "alice") return null;
  return { items: [...followers.values()] };
});

async function record(ctx, activity) {
  received.push({ type: activity.constructor.name, activity: await activity.toJsonLd({ format: "compact" }) });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    const follower = await follow.getActor(ctx);
    if (follower?.id == null || follow.objectId?.href !== ctx.getActorUri("alice").href) return;
    followers.set(follower.id.href, follower);
    await ctx.sendActivity({ identifier: "alice" }, follower, new Accept({
      id: new URL(`/accepts/${crypto.randomUUID()}`, origin),
      actor: ctx.getActorUri("alice"),
      object: follow,
    }));
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    if (undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Accept, record).on(Create, record).on(Update, record).on(Delete, record)
  .on(Like, record).on(Announce, record)
  .onError((_ctx, error) => console.error("inbox error:", error));

async function adminFollow(ctx, target) {
  const webfinger = await lookupWebFinger(target, { allowPrivateAddress: true });
  const loader = await ctx.getDocumentLoader({ identifier: "alice" }); // signs its GETs
  const actor = await ctx.lookupObject(target, { documentLoader: loader });
  if (actor?.id == null) return Response.json({ error: `cannot fetch ${target}` }, { status: 502 });
  const follow = new Follow({
    id: new URL(`/follows/${crypto.randomUUID()}`, origin),
    actor: ctx.getActorUri("alice"),
    object: actor.id,
  });
  await ctx.sendActivity({ identifier: "alice" }, actor, follow);
  following.set(actor.id.href, { follow, actor });
  return Response.json({ webfinger, actor: actor.id.href, follow: follow.id.href });
}

async function adminUnfollow(ctx, target) {
  const entry = following.get(target);
  if (entry == null) return Response.json({ error: "not following" }, { status: 404 });
  await ctx.sendActivity({ identifier: "alice" }, entry.actor, new Undo({
    id: new URL(`/undos/${crypto.randomUUID()}`, origin),
    actor: ctx.getActorUri("alice"),
    object: entry.follow,
  }));
  following.delete(target);
  return Response.json({ undone: entry.follow.id.href });
}

async function adminPost(ctx, content) {
  const id = crypto.randomUUID();
  const note = new Note({
    id: new URL(`/notes/${id}`, origin),
    attribution: ctx.getActorUri("alice"),
    content,
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri("alice"),
    published: Temporal.Now.instant(),
  });
  const create = new Create({
    id: new URL(`/notes/${id}/activity`, origin),
    actor: ctx.getActorUri("alice"),
    object: note,
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri("alice"),
  });
  await ctx.sendActivity({ identifier: "alice" }, [...followers.values()], create);
  return Response.json({ note: note.id.href, followers: followers.size });
}

async function handle(request) {
  const url = new URL(request.url);
  const ctx = federation.createContext(new URL(origin), undefined);
  try {
    if (url.pathname === "/admin/received") return Response.json(received);
    if (url.pathname === "/admin/fetch-media") {
      const response = await fetch(url.searchParams.get("url"));
      const bytes = new Uint8Array(await response.arrayBuffer());
      return Response.json({ status: response.status, contentType: response.headers.get("content-type"),
                             size: bytes.length, png: bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 });
    }
    if (url.pathname === "/admin/fetch") {
      const loader = await ctx.getDocumentLoader({ identifier: "alice" });
      return Response.json((await loader(url.searchParams.get("url"))).document);
    }
    if (request.method === "POST" && url.pathname.startsWith("/admin/")) {
      const body = await request.json();
      if (url.pathname === "/admin/follow") return await adminFollow(ctx, body.actor);
      if (url.pathname === "/admin/unfollow") return await adminUnfollow(ctx, body.actor);
      if (url.pathname === "/admin/post") return await adminPost(ctx, body.content);
    }
  } catch (error) {
    console.error("admin error:", error);
    return Response.json({ error: String(error) }, { status: 500 });
  }
  return federation.fetch(request, { contextData: undefined });
}

serve({ fetch: handle, port, hostname: "127.0.0.1" }, () => console.log("ready"));
