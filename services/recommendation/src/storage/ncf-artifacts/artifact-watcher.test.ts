import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LoadedNcfArtifact, ncfArtifactRoot, writeNcfArtifact } from "./artifact.js";
import { NcfArtifactWatcher } from "./artifact-watcher.js";
import { fakeTrainedNeuMF } from "../../models/ncf/testing-fixtures.js";

let root: string;
let lines: { level: string; msg: string; version?: string }[];
const logger = () =>
  pino({ level: "info", formatters: { level: (label) => ({ level: label }) } }, { write: (line: string) => void lines.push(JSON.parse(line)) });

beforeEach(async () => {
  root = ncfArtifactRoot(await mkdtemp(path.join(tmpdir(), "ncf-watch-")));
  lines = [];
});
afterEach(async () => {
  await rm(path.dirname(root), { recursive: true, force: true });
});

const at = (day: number) => ({ now: new Date(Date.UTC(2026, 0, day)) });

describe("NcfArtifactWatcher", () => {
  it("starts without a model, then picks up the first artifact and newer ones on poll", async () => {
    const swaps: [string, string | undefined][] = [];
    const watcher = new NcfArtifactWatcher({ root, pollIntervalMs: 0, logger: logger(), onSwap: (a, p) => swaps.push([a.version, p?.version]) });
    expect(await watcher.start()).toBeUndefined();
    expect(watcher.current).toBeUndefined();

    const first = await writeNcfArtifact(root, fakeTrainedNeuMF(1), at(1));
    expect(await watcher.poll()).toBe(true);
    expect(watcher.current?.version).toBe(first.version);
    expect(await watcher.poll()).toBe(false); // nothing newer

    const second = await writeNcfArtifact(root, fakeTrainedNeuMF(2), at(2));
    expect(await watcher.poll()).toBe(true);
    expect(watcher.current?.version).toBe(second.version);
    expect(swaps).toEqual([
      [first.version, undefined],
      [second.version, first.version],
    ]);
    expect(lines.filter((l) => l.msg.startsWith("NeuMF swapped in")).map((l) => l.version)).toEqual([first.version, second.version]);
    watcher.stop();
  });

  it("refuses a corrupt newer artifact with one warning and keeps serving the old model", async () => {
    const good = await writeNcfArtifact(root, fakeTrainedNeuMF(1), at(1));
    const watcher = new NcfArtifactWatcher({ root, pollIntervalMs: 0, logger: logger() });
    await watcher.start();
    const serving = watcher.current;

    const bad = await writeNcfArtifact(root, fakeTrainedNeuMF(2), at(2));
    const bin = await readFile(path.join(bad.dir, "weights.bin"));
    bin[0] = bin[0]! ^ 0x01;
    await writeFile(path.join(bad.dir, "weights.bin"), bin);
    const incompatible = await writeNcfArtifact(root, fakeTrainedNeuMF(3), at(3));
    const manifestFile = path.join(incompatible.dir, "manifest.json");
    await writeFile(manifestFile, (await readFile(manifestFile, "utf8")).replace('"formatVersion": 1', '"formatVersion": 7'));

    expect(await watcher.poll()).toBe(false);
    expect(await watcher.poll()).toBe(false);
    expect(watcher.current).toBe(serving);
    expect(watcher.current?.version).toBe(good.version);
    const warnings = lines.filter((l) => l.level === "warn");
    expect(warnings.map((l) => l.msg)).toEqual([
      `NCF artifact ${incompatible.version} refused: incompatible format version 7 (this build reads version 1)`,
      `NCF artifact ${bad.version} refused: checksum mismatch for weights.bin (SHA-256 differs from the manifest)`,
    ]); // once each, not on every poll

    // A valid newer one is still taken after the refused ones.
    const fixed = await writeNcfArtifact(root, fakeTrainedNeuMF(4), at(4));
    expect(await watcher.poll()).toBe(true);
    expect(watcher.current?.version).toBe(fixed.version);
  });

  it("swaps under concurrent scoring: every request finishes on the model it started with", async () => {
    const items = Array.from({ length: 12 }, (_, i) => String(i + 1));
    await writeNcfArtifact(root, fakeTrainedNeuMF(1), at(1));
    const watcher = new NcfArtifactWatcher({ root, pollIntervalMs: 0, logger: logger() });
    await watcher.start();

    // A request reads the model once, then scores item by item across event-loop turns.
    type Result = { user: string; model: LoadedNcfArtifact; scores: number[] };
    const request = async (user: string): Promise<Result> => {
      const model = watcher.current!;
      const scores: number[] = [];
      for (const item of items) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        scores.push(model.scorer.score(user, [item])![0]!);
      }
      return { user, model, scores };
    };
    // Six new versions are written and swapped in while requests keep arriving.
    let swapping = true;
    let last = "";
    const swaps = (async () => {
      for (let round = 0; round < 6; round++) {
        last = (await writeNcfArtifact(root, fakeTrainedNeuMF(10 + round), at(2 + round))).version;
        expect(await watcher.poll()).toBe(true);
      }
      swapping = false;
    })();
    const requests: Promise<Result>[] = [];
    for (let n = 0; swapping; n++) {
      requests.push(request(`u${n % 5}`));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await swaps;
    const results = await Promise.all(requests);

    const versions = new Set(results.map((r) => r.model.version));
    expect(versions.size).toBeGreaterThan(2); // swaps happened while requests were in flight
    for (const { user, model, scores } of results) expect(scores).toEqual([...model.scorer.score(user, items)!]);
    expect(watcher.current?.version).toBe(last);
  });

  it("polls on its own at the configured interval", async () => {
    const watcher = new NcfArtifactWatcher({ root, pollIntervalMs: 20, logger: logger() });
    await watcher.start();
    const { version } = await writeNcfArtifact(root, fakeTrainedNeuMF(1), at(1));
    for (let i = 0; i < 100 && watcher.current === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(watcher.current?.version).toBe(version);
    watcher.stop();
  });
});
