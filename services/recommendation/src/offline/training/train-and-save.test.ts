import { UnavailableError } from "../../../../shared/src/domain-errors.js";
import { toConnectError } from "../../../../shared/src/errors.js";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngagementService } from "../../../../../gen/recsys/engagement/v1/engagement_service_pb.js";
import { EventSchema, EventType, type Event } from "../../../../../gen/recsys/engagement/v1/event_pb.js";
import { loadNewestValidArtifact, ncfArtifactRoot } from "../../storage/ncf-artifacts/artifact.js";
import { GrpcNcfInteractionSource, readNcfInteractions } from "./interaction-source.js";
import { hasValidNcfArtifact, trainAndSaveModel } from "./train-and-save.js";

/** 30 users × 8 rated items (two item families) plus one dislike and one click per user. */
const EVENTS: Event[] = [];
for (let u = 0; u < 30; u++) {
  for (let k = 0; k < 10; k++) {
    const type = k === 8 ? EventType.DISLIKE : k === 9 ? EventType.CLICK : EventType.RATE;
    EVENTS.push(
      create(EventSchema, {
        eventId: `e${u}-${k}`,
        userId: `u${u}`,
        productId: String(1 + (u % 2) * 40 + ((u * 7 + k * 3) % 40)),
        type,
        value: type === EventType.RATE ? 4 : 0,
        occurTime: timestampFromMs(1_700_000_000_000 + u * 1000 + k),
      }),
    );
  }
}

function fakeEngagement(pageCalls: number[], fail = false) {
  const transport = createRouterTransport((router) => {
    router.service(EngagementService, {
      scanEvents(req) {
        if (fail) throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
        pageCalls.push(req.pageSize);
        const start = req.pageToken === "" ? 0 : Number(req.pageToken);
        const end = start + 120; // pages smaller than requested, as a server may answer
        return { events: EVENTS.slice(start, end), nextPageToken: end < EVENTS.length ? String(end) : "" };
      },
    });
  });
  return createClient(EngagementService, transport);
}

let modelDir: string;
beforeEach(async () => {
  modelDir = await mkdtemp(path.join(tmpdir(), "ncf-train-"));
});
afterEach(async () => {
  await rm(modelDir, { recursive: true, force: true });
});

describe("GrpcNcfInteractionSource", () => {
  it("pages through ScanEvents, keeps positives with their occur time, skips dislikes", async () => {
    const calls: number[] = [];
    const interactions = await readNcfInteractions(new GrpcNcfInteractionSource(fakeEngagement(calls)));
    expect(calls).toEqual([5000, 5000, 5000]);
    expect(interactions).toHaveLength(30 * 9);
    expect(interactions[0]).toEqual({ userId: "u0", productId: EVENTS[0]!.productId, timestampMs: 1_700_000_000_000 });
    expect(interactions.some((e) => e.timestampMs === 1_700_000_000_008)).toBe(false); // u0's dislike
  });

  it("reports an engagement outage as UNAVAILABLE naming the service", async () => {
    const err = await readNcfInteractions(new GrpcNcfInteractionSource(fakeEngagement([], true))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(toConnectError(err)).toMatchObject({
      code: Code.Unavailable,
      message: expect.stringContaining("engagement service"),
    });
  });
});

describe("trainAndSaveModel", () => {
  it("trains on the engagement events and writes a loadable artifact with validation metrics", async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    expect(await hasValidNcfArtifact(modelDir)).toBe(false);
    const epochs: number[] = [];
    const progress: [number, number, number][] = [];
    const result = await trainAndSaveModel({
      modelDir,
      source: new GrpcNcfInteractionSource(fakeEngagement([])),
      training: { gmfDim: 4, mlpEmbeddingDim: 4, mlpLayers: [8, 4], epochs: 2, batchSize: 64 },
      validationUsers: 10,
      backend: "wasm",
      logger,
      onEpoch: (s) => epochs.push(s.epoch),
      onProgress: (epoch, done, total) => progress.push([epoch, done, total]),
    });
    expect(epochs).toEqual([1, 2]);
    // In-epoch progress (a bar per epoch in npm run train): growing, ending with the epoch's total.
    for (const epoch of [1, 2]) {
      const of = progress.filter(([e]) => e === epoch);
      expect(of.length).toBeGreaterThanOrEqual(1);
      expect(of.map(([, done]) => done)).toEqual([...of.map(([, done]) => done)].sort((a, b) => a - b));
      expect(of.at(-1)![1]).toBe(of.at(-1)![2]);
    }
    expect(result.validationUsers).toBe(10);
    expect(result.trained.data).toMatchObject({ users: 30, events: 30 * 9 - 10, lastEventTimeMs: 1_700_000_029_009 });
    expect(result.dir).toBe(path.join(ncfArtifactRoot(modelDir), result.version));
    expect(await hasValidNcfArtifact(modelDir)).toBe(true);

    const { artifact } = await loadNewestValidArtifact(ncfArtifactRoot(modelDir));
    expect(artifact?.version).toBe(result.version);
    expect(artifact?.metrics.validationUsers).toBe(10);
    expect(artifact?.metrics.validationHr10).toBe(result.trained.epochs[1]!.validationHr10);
    expect(artifact?.scorer.score("u3", ["1", "41"])).toEqual(result.trained.scorer.score("u3", ["1", "41"]));
    expect(lines.map((l) => l.msg)).toEqual([
      "read 270 interactions",
      expect.stringMatching(/^training NeuMF on TensorFlow\.js backend wasm \(SIMD/),
      expect.stringMatching(/^epoch 1: loss 0\.\d{4}, \d+ samples\/s, [\d.]+ s, validation HR@10 [\d.]{5} NDCG@10 [\d.]{5}$/),
      expect.stringMatching(/^epoch 2: /),
      `NCF model ${result.version} written`,
    ]);
  });

  it("refuses to train without interactions", async () => {
    const logger = pino({ level: "silent" });
    await expect(trainAndSaveModel({ modelDir, source: { pages: async function* () {} }, logger })).rejects.toThrow(/no interactions/);
    expect(await hasValidNcfArtifact(modelDir)).toBe(false);
  });
});
