import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../../scripts/mesh-support/event-load.js";
import { FAULT_MESH_PORTS, OWN_MESH_AUTH_HEADERS } from "../../scripts/mesh-support/private-mesh.js";
import { eventually } from "../support/eventually.js";
import { usePrivateMesh } from "../support/private-mesh-suite.js";

// Issue 12's attribution end to end on a private mesh, all over REST through Envoy: a
// GetRecommendations answer carries a recommendation_id; the recommendation service writes the
// list's impression to the engagement service in the background; a click naming the list is
// recorded three times (a retry with the same eventId, another eventId, RecordEvents) and counts
// once in GetClickThroughRates for FOR_YOU; the operator routes refuse anonymous callers and user
// tokens; GetServingStatus answers the parts the mesh has; with the engagement service killed,
// recommendations still answer, the status notes the failed impression write, and the kept
// impression is counted once the service is back.

interface ClickThrough {
  listType: string;
  listsShown?: string;
  itemsShown?: string;
  attributedClicks?: string;
  clickThroughRate?: number;
}

describe("attribution: GetRecommendations → click with its recommendation_id → click-through", () => {
  const ports = FAULT_MESH_PORTS.attribution;
  const suite = usePrivateMesh({ name: "attribution", ports: ports.infra, servicePorts: ports.services });
  let engagementDb: pg.Pool;

  const rest = async <T = Record<string, unknown>>(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = OWN_MESH_AUTH_HEADERS): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${suite.mesh.restUrl}${pathAndQuery}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
  };
  const forYou = async (): Promise<{ lists: number; items: number; clicks: number; ctr: number }> => {
    const res = await rest<{ rates: ClickThrough[] }>("GET", "/v1/operator/click-through-rates");
    expect(res.status).toBe(200);
    const r = res.body.rates.find((x) => x.listType === "LIST_TYPE_FOR_YOU")!;
    return { lists: Number(r.listsShown ?? 0), items: Number(r.itemsShown ?? 0), clicks: Number(r.attributedClicks ?? 0), ctr: r.clickThroughRate ?? 0 };
  };

  beforeAll(() => {
    engagementDb = new pg.Pool({ connectionString: suite.mesh.infra.pgUrlFor(suite.mesh.databases.engagement), max: 2 });
  });
  afterAll(async () => {
    await engagementDb?.end();
  });

  it("counts a click on a recommended item once for FOR_YOU, however often it is recorded", async () => {
    const { users } = readCatalog(suite.mesh.imported.dir);
    const userId = users[0]!;
    const before = await forYou();

    const recs = await rest<{ items: { productId: string }[]; recommendationId: string }>("GET", `/v1/users/${userId}/recommendations?limit=5`);
    expect(recs.status).toBe(200);
    const { recommendationId, items } = recs.body;
    expect(recommendationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(items.length).toBe(5);
    // The impression is written in the background (every IMPRESSION_FLUSH_INTERVAL_MS, 200 ms).
    const shown = await eventually("the impression in GetClickThroughRates", async () => {
      const now = await forYou();
      return now.lists === before.lists + 1 ? now : undefined;
    }, 15_000);
    expect(shown.items).toBe(before.items + 5);
    expect(shown.clicks).toBe(before.clicks);

    const clicked = items[2]!.productId;
    const eventId = `attr-${randomUUID()}`;
    const click = { userId, productId: clicked, type: "EVENT_TYPE_CLICK", recommendationId, eventId };
    const first = await rest<{ event: { recommendationId: string }; duplicate?: boolean }>("POST", "/v1/events", click);
    expect(first.status).toBe(200);
    expect(first.body.event.recommendationId).toBe(recommendationId);
    const retry = await rest<{ duplicate?: boolean }>("POST", "/v1/events", click);
    expect(retry.body.duplicate).toBe(true);
    expect((await rest("POST", "/v1/events", { ...click, eventId: `${eventId}-again` })).status).toBe(200);
    expect((await rest("POST", "/v1/events:batch", { events: [{ ...click, eventId: `${eventId}-batch` }] })).status).toBe(200);
    // Three events name the list and the product; the click-through counts the pair once.
    const stored = await engagementDb.query<{ n: string }>("SELECT count(*)::text AS n FROM events WHERE recommendation_id = $1 AND product_id = $2", [recommendationId, clicked]);
    expect(stored.rows[0]!.n).toBe("3");

    const after = await forYou();
    expect(after).toEqual({ lists: before.lists + 1, items: before.items + 5, clicks: before.clicks + 1, ctr: (before.clicks + 1) / (before.items + 5) });
  });

  it("refuses a malformed recommendation_id naming the field", async () => {
    const { users, products } = readCatalog(suite.mesh.imported.dir);
    const res = await rest<{ message: string }>("POST", "/v1/events", { userId: users[0], productId: products[0], type: "EVENT_TYPE_CLICK", recommendationId: "not-a-list" });
    expect(res.status).toBe(400);
    expect(res.body.message.startsWith("recommendation_id: ")).toBe(true);
  });

  it("keeps the operator routes to the service token: 401 anonymous, 403 for a user's token", async () => {
    const username = `attr_${randomUUID().slice(0, 8)}`;
    const password = "a long enough password";
    expect((await rest("POST", "/v1/users", { username, email: `${username}@example.com`, password }, {})).status).toBe(200);
    const session = await rest<{ accessToken: string }>("POST", "/v1/sessions", { username, password }, {});
    const asUser = { authorization: `Bearer ${session.body.accessToken}` };
    for (const route of ["/v1/operator/click-through-rates", "/v1/operator/status"]) {
      expect((await rest("GET", route, undefined, {})).status, `${route} anonymous`).toBe(401);
      expect((await rest("GET", route, undefined, asUser)).status, `${route} user token`).toBe(403);
    }
  });

  it("reports the serving status: no NeuMF model in this mesh (item-KNN serving), the outbox, the consumer lag, events per second", async () => {
    interface Status {
      model?: unknown;
      unavailableSignals?: string[];
      eventsPerSecond?: number;
      outboxPendingRows?: string;
      consumerLagMessages?: string;
      statusTime: string;
    }
    // The relay publishes the events above and the consumer applies them: backlog and lag drain to 0.
    const status = await eventually("a drained outbox and consumer", async () => {
      const res = await rest<Status>("GET", "/v1/operator/status");
      const b = res.body;
      return res.status === 200 && b.eventsPerSecond !== undefined && b.outboxPendingRows === "0" && b.consumerLagMessages === "0" ? b : undefined;
    }, 30_000);
    expect(status.model).toBeUndefined();
    // No NeuMF model here, but the item-KNN half (built with the snapshot) serves the collaborative signal.
    expect(status.unavailableSignals).toEqual([]);
    expect(status.eventsPerSecond).toBeGreaterThan(0);
    expect(Date.parse(status.statusTime)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("answers recommendations while the engagement service is down, and records their impressions once it is back", async () => {
    const { users } = readCatalog(suite.mesh.imported.dir);
    const before = await forYou();
    const engagement = suite.mesh.processes.get("engagement")!;
    process.kill(engagement.pid, "SIGKILL");
    await engagement.exited;
    try {
      const recs = await rest<{ items: unknown[]; recommendationId: string }>("GET", `/v1/users/${users[1]}/recommendations?limit=4`);
      expect(recs.status).toBe(200);
      expect(recs.body.items.length).toBe(4);
      // The write failed (connection refused) and is kept for a retry; the status says so and
      // leaves out what only the engagement service knows.
      const status = await eventually("the failed impression write in the status", async () => {
        const res = await rest<{ eventsPerSecond?: number; recentErrors?: { source: string; message: string }[] }>("GET", "/v1/operator/status");
        return res.status === 200 && res.body.recentErrors?.some((e) => e.source === "impressions" && /kept, retried/.test(e.message)) ? res.body : undefined;
      }, 15_000);
      expect(status.eventsPerSecond).toBeUndefined();
      expect(status.recentErrors?.some((e) => e.source === "engagement-status")).toBe(true);
    } finally {
      await suite.mesh.restart("engagement");
    }
    const after = await eventually("the kept impression in GetClickThroughRates", async () => {
      const now = await forYou();
      return now.lists === before.lists + 1 ? now : undefined;
    }, 30_000);
    expect(after.items).toBe(before.items + 4);
  });
});
