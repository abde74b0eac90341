/**
 * Serving benchmark: latency of the read RPCs under open-model, constant-rate load, through Envoy
 * (REST, vegeta) and straight to the services (gRPC, ghz), with the CPU each process used.
 *
 * It starts its own mesh (PostgreSQL :25473, Redis :26413, Kafka :29146, Envoy :28113, services
 * 21365-21368, data in .run/bench-serving) on the whole of MovieLens ml-latest-small with a NeuMF
 * model trained for the benchmark (`--epochs`, default 2: what a request costs does not depend on
 * how well the model was trained), and Envoy's per-client-address rate limit turned off (every
 * request comes from one address here).
 *
 * Method, for each RPC and each rate: a warm-up (`--warmup` seconds at the rate, not counted), then
 * `--duration` seconds at the rate; vegeta and ghz send a new request every 1/rate seconds whatever
 * the answers do (open model: a slow server cannot slow the generator down, so queueing shows in the
 * latencies). Requests cycle over the MovieLens users (GetRecommendations, GetUser) or products
 * (GetSimilarProducts, GetProduct), categories (ListProducts, GetTrending) in a fixed order. A request
 * that times out (5 s), errs or answers non-2xx/non-OK counts as an error. Percentiles are vegeta's
 * and ghz's (exact over every request).
 *
 * Usage: `npm run bench:serving -- [--rpcs recommendations,similar,trending,products,categories,product,user]
 *   [--rates 100,300,1000,2000] [--duration 30] [--warmup 5] [--epochs 2] [--no-grpc] [--profile]
 *   [--items N [--seed 42] [--neumf train|synthetic] [--neighbors N] [--max-df N] [--heap-mb N]]
 *   [--users-cycled 2000] [--warm-seconds 600]`
 * `--profile` runs the services with `node --cpu-prof` and prints the recommendation service's
 * hottest functions (self time) after the run.
 *
 * **Synthetic catalogs** (`--items N`, e.g. 100000 or 1000000): instead of MovieLens, a seeded
 * MovieLens-shaped catalog of N items, max(500, N/20) users and ~20 ratings per user
 * (scripts/mesh-support/synthetic-catalog.ts, `--seed`, default 42) is generated into
 * `.run/synthetic-<N>-<seed>` (reused when it already holds the same parameters) and imported by
 * the same path; the mesh's data is in `.run/bench-serving-<N>-<seed>-<neumf>`, whose `models/`
 * keeps the NeuMF artifact between runs (thrown away when the catalog changes). What changes with
 * the catalog's size, and why:
 * - the content neighbour build costs Σ_t df(t)²: each of the 19 genres is in ~10% of the items, so
 *   `MODEL_MAX_DOCUMENT_FREQUENCY` is set (`--max-df`, default 1000) and genre terms are skipped
 *   (the title words, ~60 items each, and tags remain); `MODEL_NEIGHBORS` (`--neighbors`) stays 50
 *   up to 200,000 items and is 20 above, since the snapshot stores and loads items × neighbours rows;
 * - NeuMF (`--neumf`): `train` runs `npm run train -- --epochs <--epochs>` on the imported ratings
 *   (default up to 200,000 items); `synthetic` writes an untrained artifact of the right shape
 *   (scripts/mesh-support/synthetic-neumf.ts: every user and item, GMF embeddings = the
 *   generator's latent factors; default above 200,000 items). Training is feasible there too (one
 *   epoch over the 1,000,000 ratings of `--items 1000000` took 117 s on the 2-core machine), but a
 *   trained model knows only the items that were rated, about 40% of a catalog with one rating per
 *   item on average, while the untrained one has all of them: what a request costs depends on the
 *   model's size and shape, not on how well it was trained;
 * - the service processes run with `--max-old-space-size` (`--heap-mb`, default 16384 above
 *   200,000 items) and the recommendation service may take 30 minutes to start;
 * - requests cycle over a fixed seeded sample of `--users-cycled` users (default 2,000; MovieLens's
 *   610 are all used), and the warm pass covers those users only, for at most `--warm-seconds`.
 * The recommendation process's memory (RSS from /proc/<pid>/status and its peak) is printed after
 * the mesh starts, after the warm pass and after each step.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../scripts/infra/paths.js";
import { readCatalog, type MeshCatalog } from "../scripts/mesh-support/event-load.js";
import { writeSyntheticCatalog, type SyntheticCatalogResult } from "../scripts/mesh-support/synthetic-catalog.js";
import { writeSyntheticNeuMFArtifact } from "../scripts/mesh-support/synthetic-neumf.js";
import { listNcfArtifactVersions, ncfArtifactRoot } from "../services/recommendation/src/storage/ncf-artifacts/artifact.js";
import { mulberry32, shuffleInPlace } from "../services/recommendation/src/models/prng.js";
import { BENCH_MESH_PORTS, OWN_MESH_AUTH_HEADERS, startOwnMesh } from "../scripts/mesh-support/private-mesh.js";
import type { Mesh } from "../scripts/mesh.js";
import { summarizeCpuProfile } from "./support/cpu-profile.js";
import { runCommand as run } from "../scripts/infra/managed-process.js";
import { loadGenerator } from "./support/load-generators.js";
import { printMachine } from "./support/machine.js";
import { CpuMeter } from "./support/process-cpu.js";
import { formatProcessMemory, readProcessMemory } from "./support/process-memory.js";
import { waitForUserState } from "./support/user-state.js";

/** One read RPC under test: its REST route and its gRPC method, with the request of the i-th call. */
interface ReadRpc {
  /** gRPC method, `package.Service/Method`. */
  readonly method: string;
  /** Which service answers it over gRPC. */
  readonly service: "recommendation" | "product" | "user";
  /** The REST path of call i (through Envoy). */
  readonly restPath: (i: number) => string;
  /** The gRPC request of call i, as proto3 JSON. */
  readonly grpcRequest: (i: number) => Record<string, unknown>;
}

const { values: args } = parseArgs({
  options: {
    rpcs: { type: "string", default: "recommendations,similar,trending,products,categories,product,user" },
    rates: { type: "string", default: "100,300,1000,2000" },
    duration: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    epochs: { type: "string", default: "2" },
    "no-grpc": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    items: { type: "string" },
    seed: { type: "string" },
    neumf: { type: "string" },
    neighbors: { type: "string" },
    "max-df": { type: "string" },
    "heap-mb": { type: "string" },
    "users-cycled": { type: "string", default: "2000" },
    "warm-seconds": { type: "string", default: "600" },
  },
});

const positiveInt = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name}: must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
};
const rates = args.rates.split(",").map((r) => positiveInt("rates", r.trim()));
const durationS = positiveInt("duration", args.duration);
const warmupS = Number(args.warmup);
if (!Number.isFinite(warmupS) || warmupS < 0) throw new Error(`--warmup: must be a number of seconds ≥ 0, got ${args.warmup}`);
const epochs = positiveInt("epochs", args.epochs);
const usersCycled = positiveInt("users-cycled", args["users-cycled"]);
const warmSeconds = positiveInt("warm-seconds", args["warm-seconds"]);
const items = args.items === undefined ? undefined : positiveInt("items", args.items);
for (const flag of ["seed", "neumf", "neighbors", "max-df", "heap-mb"] as const) {
  if (items === undefined && args[flag] !== undefined) throw new Error(`--${flag}: only with --items (a synthetic catalog)`);
}
if (items !== undefined && items < 20) throw new Error(`--items: must be at least 20, got ${items}`);
/** Above this many items the defaults change (untrained NeuMF, fewer neighbours, a larger heap). */
const LARGE_CATALOG = 200_000;
const large = items !== undefined && items > LARGE_CATALOG;
const seed = args.seed === undefined ? 42 : Number(args.seed);
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new Error(`--seed: must be an integer from 0 to 2147483647, got ${JSON.stringify(args.seed)}`);
const neumf = args.neumf ?? (large ? "synthetic" : "train");
if (neumf !== "train" && neumf !== "synthetic") throw new Error(`--neumf: must be train or synthetic, got ${JSON.stringify(args.neumf)}`);
const neighbors = args.neighbors === undefined ? (large ? 20 : 50) : positiveInt("neighbors", args.neighbors);
if (neighbors > 500) throw new Error(`--neighbors: at most 500 (MODEL_NEIGHBORS), got ${neighbors}`);
const maxDf = args["max-df"] === undefined ? 1_000 : positiveInt("max-df", args["max-df"]);
const heapMb = args["heap-mb"] === undefined ? (large ? 16_384 : undefined) : positiveInt("heap-mb", args["heap-mb"]);

printMachine();
const vegeta = await loadGenerator("vegeta");
const ghz = args["no-grpc"] ? undefined : await loadGenerator("ghz");

const ports = BENCH_MESH_PORTS.serving;
const profileDir = path.join(REPO_ROOT, ".run", "bench-serving-profiles");
if (args.profile) {
  rmSync(profileDir, { recursive: true, force: true }); // only this run's profiles
  mkdirSync(profileDir, { recursive: true });
}
const benchStarted = Date.now();
/** Wall time of each stage before the measured steps, in ms, printed once the mesh runs. */
const stageMs: [string, number | string][] = [];
let synthetic: SyntheticCatalogResult | undefined;
const meshName = items === undefined ? "bench-serving" : `bench-serving-${items}-${seed}-${neumf}`;
if (items !== undefined) {
  synthetic = await writeSyntheticCatalog(path.join(REPO_ROOT, ".run", `synthetic-${items}-${seed}`), { items, seed });
  const p = synthetic.plan;
  console.log(
    `synthetic catalog ${synthetic.dir}: ${p.items} items, ${p.users} users, ${synthetic.ratings} ratings ` +
      `(${synthetic.ratedItems} items rated at least once), ${synthetic.tags} tags, vocabulary ${p.vocabulary} words, seed ${p.seed}` +
      (synthetic.reused ? " (reused)" : ""),
  );
  stageMs.push(["generation", synthetic.reused ? "reused" : synthetic.ms]);
  // The NeuMF artifact kept in the mesh's models/ must be of this catalog: a marker holds the
  // catalog's synthetic.json, and a different one throws the models away.
  const modelDir = path.join(REPO_ROOT, ".run", meshName, "models");
  const marker = path.join(modelDir, "synthetic-catalog.json");
  const catalogText = readFileSync(path.join(synthetic.dir, "synthetic.json"), "utf8");
  if (!existsSync(marker) || readFileSync(marker, "utf8") !== catalogText) {
    rmSync(modelDir, { recursive: true, force: true });
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(marker, catalogText);
  }
  if (neumf === "synthetic") {
    if ((await listNcfArtifactVersions(ncfArtifactRoot(modelDir))).length === 0) {
      const t0 = Date.now();
      const written = await writeSyntheticNeuMFArtifact(modelDir, synthetic);
      stageMs.push(["untrained NeuMF artifact", Date.now() - t0]);
      console.log(`untrained NeuMF artifact ${written.version} (${p.users} users × ${p.items} items) written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      stageMs.push(["untrained NeuMF artifact", "reused"]);
    }
  }
}
const serviceNodeArgs = [
  ...(heapMb !== undefined ? [`--max-old-space-size=${heapMb}`] : []),
  ...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
];
const mesh = await startOwnMesh({
  name: meshName,
  ports: ports.infra,
  servicePorts: ports.services,
  ...(synthetic ? { movieLensDir: synthetic.dir } : { fullMovieLens: true }),
  // With `--neumf synthetic` the artifact is already there, so startMesh trains nothing.
  trainArgs: ["--epochs", String(epochs)],
  envoyRateLimit: false,
  serviceEnv: {
    LOG_LEVEL: "warn",
    ...(synthetic ? { MODEL_MAX_DOCUMENT_FREQUENCY: String(maxDf), MODEL_NEIGHBORS: String(neighbors) } : {}),
  },
  ...(serviceNodeArgs.length > 0 ? { serviceNodeArgs } : {}),
  ...(synthetic ? { recommendationReadyTimeoutMs: 30 * 60_000 } : {}),
});

/** The recommendation service's pid, whose CPU profile is summarised after the run. */
const recommendationPid = mesh.processes.get("recommendation")?.pid;
const recommendationMemory = (): string => (recommendationPid === undefined ? "unknown" : formatProcessMemory(readProcessMemory(recommendationPid)));
try {
  const t = mesh.timings;
  const importStages = mesh.imported.stageMs;
  stageMs.push(
    ["infrastructure", t.infrastructure ?? 0],
    ["import", t.import ?? 0],
    ["  catalog", importStages.catalog],
    ["  users", importStages.users],
    ["  ratings", importStages.ratings],
    ["core services", t["core services"] ?? 0],
    ["NeuMF training", t.train ?? (neumf === "synthetic" && synthetic ? "untrained artifact" : "reused model")],
    ["recommendation start (catalog, model build, NeuMF load)", t.recommendation ?? 0],
    ["mesh ready (from the benchmark's start)", Date.now() - benchStarted],
  );
  console.log("stages:");
  for (const [name, ms] of stageMs) console.log(`  ${name.padEnd(58)} ${typeof ms === "number" ? `${(ms / 1000).toFixed(1)} s` : ms}`);
  if (synthetic) console.log(`  (MODEL_MAX_DOCUMENT_FREQUENCY ${maxDf}, MODEL_NEIGHBORS ${neighbors}${heapMb ? `, --max-old-space-size=${heapMb}` : ""})`);
  console.log(`recommendation process after start: ${recommendationMemory()}`);
  // The read path serves profiles from the per-user state once the trending consumer has built it
  // from the engagement database (before that, from EngagementService, which is not what is measured).
  const readyAfter = await waitForUserState(mesh.infra.redisUrl, synthetic ? 30 * 60_000 : undefined);
  console.log(`per-user state ready ${(readyAfter / 1000).toFixed(1)} s after the mesh`);
  const catalog: MeshCatalog = synthetic
    ? {
        users: Array.from({ length: synthetic.plan.users }, (_, i) => String(i + 1)),
        products: Array.from({ length: Math.min(2_000, synthetic.plan.items) }, (_, i) => String(i + 1)),
      }
    : readCatalog(mesh.imported.dir);
  const users = sampleUsers(catalog.users, usersCycled, seed);
  // Warm pass: each user's recommendations once, one call at a time, so the measured steps see
  // the caches a running service has (profiles, NeuMF rankings, candidate bases) rather than a
  // cold start under load.
  if (args.rpcs.includes("recommendations")) {
    const warmStarted = Date.now();
    let warmed = 0;
    for (const user of users) {
      if (Date.now() - warmStarted > warmSeconds * 1000) break;
      const res = await fetch(`${mesh.restUrl}/v1/users/${user}/recommendations?limit=10`, { headers: OWN_MESH_AUTH_HEADERS });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`warm pass: GetRecommendations of user ${user} answered ${res.status}`);
      warmed += 1;
    }
    const warmS = (Date.now() - warmStarted) / 1000;
    console.log(
      warmed === users.length
        ? `warm pass: GetRecommendations of each of the ${users.length} cycled users once, ${warmS.toFixed(1)} s (${((warmS * 1000) / warmed).toFixed(1)} ms each)`
        : `warm pass: stopped after --warm-seconds ${warmSeconds}: ${warmed} of the ${users.length} cycled users, ${warmS.toFixed(1)} s (${((warmS * 1000) / Math.max(1, warmed)).toFixed(1)} ms each)`,
    );
    console.log(`recommendation process after the warm pass: ${recommendationMemory()}`);
  }
  const products = catalog.products.slice(0, 2_000);
  console.log(`requests cycle over ${users.length} of ${catalog.users.length} users and ${products.length} products`);
  const categories = ["Comedy", "Drama", "Action", "Thriller", "Romance", "Adventure", "Crime", "Sci-Fi"];
  const at = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
  const rpcs: Record<string, ReadRpc> = {
    recommendations: {
      method: "recsys.recommendation.v1.RecommendationService/GetRecommendations",
      service: "recommendation",
      restPath: (i) => `/v1/users/${at(users, i)}/recommendations?limit=10`,
      grpcRequest: (i) => ({ userId: at(users, i), limit: 10 }),
    },
    similar: {
      method: "recsys.recommendation.v1.RecommendationService/GetSimilarProducts",
      service: "recommendation",
      restPath: (i) => `/v1/products/${at(products, i)}/similar?limit=10`,
      grpcRequest: (i) => ({ productId: at(products, i), limit: 10 }),
    },
    trending: {
      method: "recsys.recommendation.v1.RecommendationService/GetTrending",
      service: "recommendation",
      restPath: (i) => (i % 2 === 0 ? "/v1/trending?limit=10" : `/v1/trending?limit=10&category=${at(categories, i)}`),
      grpcRequest: (i) => (i % 2 === 0 ? { limit: 10 } : { limit: 10, category: at(categories, i) }),
    },
    products: {
      method: "recsys.product.v1.ProductService/ListProducts",
      service: "product",
      restPath: (i) => `/v1/products?pageSize=20&category=${at(categories, i)}`,
      grpcRequest: (i) => ({ pageSize: 20, category: at(categories, i) }),
    },
    categories: {
      method: "recsys.product.v1.ProductService/ListCategories",
      service: "product",
      restPath: () => "/v1/categories",
      grpcRequest: () => ({}),
    },
    product: {
      method: "recsys.product.v1.ProductService/GetProduct",
      service: "product",
      restPath: (i) => `/v1/products/${at(products, i)}`,
      grpcRequest: (i) => ({ productId: at(products, i) }),
    },
    user: {
      method: "recsys.user.v1.UserService/GetUser",
      service: "user",
      restPath: (i) => `/v1/users/${at(users, i)}`,
      grpcRequest: (i) => ({ userId: at(users, i) }),
    },
  };
  const selected = args.rpcs.split(",").map((name) => {
    const rpc = rpcs[name.trim()];
    if (!rpc) throw new Error(`--rpcs: unknown RPC ${JSON.stringify(name)}; known: ${Object.keys(rpcs).join(", ")}`);
    return [name.trim(), rpc] as const;
  });

  const work = path.join(REPO_ROOT, ".run", "bench-serving", "load");
  mkdirSync(work, { recursive: true });
  const cycle = Math.max(users.length, products.length);
  const rows: string[] = [];
  const header = "rpc                 via    rate/s  achieved/s      p50      p90      p99      max   errors";
  console.log(`\n${selected.length} RPCs × rates ${rates.join(", ")}/s: ${warmupS} s warm-up + ${durationS} s each`);
  console.log(header);
  for (const [name, rpc] of selected) {
    const targets = path.join(work, `${name}.targets`);
    writeFileSync(targets, Array.from({ length: cycle }, (_, i) => `GET ${mesh.restUrl}${rpc.restPath(i)}\n`).join("\n"));
    const data = path.join(work, `${name}.json`);
    writeFileSync(data, JSON.stringify(Array.from({ length: cycle }, (_, i) => rpc.grpcRequest(i))));
    for (const rate of rates) {
      const rest = await measure(mesh, `${name} REST ${rate}/s`, () => vegetaStep(vegeta, targets, rate, warmupS, durationS, work));
      rows.push(formatRow(name, "envoy", rate, rest.result, rest.cpu));
      console.log(rows.at(-1));
      console.log(`  recommendation process: ${recommendationMemory()}`);
      if (ghz) {
        const grpc = await measure(mesh, `${name} gRPC ${rate}/s`, () =>
          ghzStep(ghz, rpc.method, mesh.addresses[rpc.service], data, rate, warmupS, durationS),
        );
        rows.push(formatRow(name, "grpc", rate, grpc.result, grpc.cpu));
        console.log(rows.at(-1));
        console.log(`  recommendation process: ${recommendationMemory()}`);
      }
    }
  }
  console.log(`\nsummary\n${header}\n${rows.join("\n")}`);
} finally {
  await mesh.stop();
}

if (args.profile) {
  // One file per process and thread (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`): the
  // recommendation service's main thread, or, if it wrote none, the largest.
  const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
  const own = files.filter((f) => f.split(".")[3] === String(recommendationPid) && f.split(".")[4] === "0");
  if (own.length === 0) console.log(`\nno CPU profile of the recommendation service (pid ${recommendationPid}); the largest one instead`);
  const sized = files.map((f) => ({ f, size: readFileSync(path.join(profileDir, f)).length })).sort((a, b) => b.size - a.size);
  for (const f of own.length > 0 ? own.slice(0, 1) : sized.slice(0, 1).map((x) => x.f)) {
    console.log(`\nCPU profile ${f} (self time, top 25):`);
    console.log(summarizeCpuProfile(JSON.parse(readFileSync(path.join(profileDir, f), "utf8")), 25));
  }
}

/**
 * The users requests cycle over: all of them, in order, when there are at most `count`; else
 * `count` of them, a seeded shuffle's first (the same sample for the same seed).
 */
function sampleUsers(all: readonly string[], count: number, sampleSeed: number): readonly string[] {
  if (all.length <= count) return all;
  const order = Int32Array.from(all, (_, i) => i);
  shuffleInPlace(order, mulberry32(sampleSeed));
  return Array.from(order.subarray(0, count), (i) => all[i]!);
}

/** Latency figures of one step, in ms, and its counts. */
interface StepResult {
  readonly requests: number;
  readonly achievedPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  /** The first error messages, when there were errors. */
  readonly errorSamples: readonly string[];
}

/** Runs a step while measuring the CPU of every process of the mesh. */
async function measure(m: Mesh, label: string, step: () => Promise<StepResult>): Promise<{ result: StepResult; cpu: string }> {
  const proc = (name: string): number => m.processes.get(name)!.pid;
  const meter = new CpuMeter([
    { name: "envoy", pid: m.infra.envoy!.pid },
    { name: "recommendation", pid: proc("recommendation") },
    { name: "product", pid: proc("product") },
    { name: "user", pid: proc("user") },
    { name: "engagement", pid: proc("engagement") },
    { name: "postgres", pid: m.infra.postgres.pid, withChildren: true },
    { name: "redis", pid: m.infra.redis.pid },
  ]);
  meter.start();
  const result = await step();
  const cpu = meter
    .stop()
    .filter((c) => c.cores >= 0.01)
    .map((c) => `${c.name} ${c.cores.toFixed(2)}`)
    .join(", ");
  if (result.errors > 0) console.log(`  ${label}: ${result.errors} errors, e.g. ${result.errorSamples.slice(0, 3).join(" | ")}`);
  return { result, cpu };
}

/** One vegeta step: warm-up, then the measured attack, reported as JSON. */
async function vegetaStep(bin: string, targets: string, rate: number, warmup: number, duration: number, dir: string): Promise<StepResult> {
  const attack = (seconds: number, output: string) =>
    run([
      bin,
      "attack",
      `-targets=${targets}`,
      `-rate=${rate}/1s`,
      `-duration=${seconds}s`,
      "-timeout=5s",
      // A backend reading for its users: the service token (GetRecommendations and GetUser need a token).
      `-header=authorization: ${OWN_MESH_AUTH_HEADERS.authorization}`,
      `-output=${output}`,
    ]);
  if (warmup > 0) await attack(warmup, path.join(dir, "warmup.bin"));
  const results = path.join(dir, "step.bin");
  await attack(duration, results);
  const report = JSON.parse(await run([bin, "report", "-type=json", results])) as {
    requests: number;
    throughput: number;
    latencies: Record<string, number>;
    status_codes: Record<string, number>;
    errors: string[] | null;
  };
  const ok = Object.entries(report.status_codes)
    .filter(([code]) => code.startsWith("2"))
    .reduce((sum, [, n]) => sum + n, 0);
  const ms = (ns: number | undefined) => (ns ?? 0) / 1e6;
  return {
    requests: report.requests,
    achievedPerSecond: report.throughput,
    p50: ms(report.latencies["50th"]),
    p90: ms(report.latencies["90th"]),
    p99: ms(report.latencies["99th"]),
    max: ms(report.latencies.max),
    errors: report.requests - ok,
    errorSamples: report.errors ?? Object.keys(report.status_codes).map((c) => `status ${c}`),
  };
}

/** One ghz step: warm-up, then the measured run, open-model (`--async` at `--rps`). */
async function ghzStep(bin: string, method: string, address: string, dataFile: string, rate: number, warmup: number, duration: number): Promise<StepResult> {
  const attack = (seconds: number) =>
    run([
      bin,
      "--insecure",
      "--async",
      `--rps=${rate}`,
      `--duration=${seconds}s`,
      "--timeout=5s",
      "--concurrency=50",
      "--connections=4",
      `--call=${method}`,
      `--data-file=${dataFile}`,
      `--metadata=${JSON.stringify(OWN_MESH_AUTH_HEADERS)}`,
      "--format=json",
      address,
    ]);
  // ghz exits non-zero when it cannot finish its run cleanly (an overloaded server): a failed
  // warm-up is not measured anyway, and a failed step counts every request as an error.
  if (warmup > 0) await attack(warmup).catch(() => undefined);
  let output: string;
  try {
    output = await attack(duration);
  } catch (err) {
    const requests = rate * duration;
    return { requests, achievedPerSecond: 0, p50: 0, p90: 0, p99: 0, max: 0, errors: requests, errorSamples: [`ghz failed: ${String(err).slice(0, 300)}`] };
  }
  const report = JSON.parse(output) as {
    count: number;
    total: number;
    slowest: number;
    rps: number;
    latencyDistribution: { percentage: number; latency: number }[] | null;
    statusCodeDistribution: Record<string, number> | null;
    errorDistribution: Record<string, number> | null;
  };
  const pct = (p: number) => (report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? 0) / 1e6;
  const ok = report.statusCodeDistribution?.OK ?? 0;
  return {
    requests: report.count,
    achievedPerSecond: ok / duration,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: report.slowest / 1e6,
    errors: report.count - ok,
    errorSamples: Object.entries(report.errorDistribution ?? {}).map(([e, n]) => `${n} × ${e}`),
  };
}

function formatRow(name: string, via: string, rate: number, r: StepResult, cpu: string): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(9);
  return (
    `${name.padEnd(19)} ${via.padEnd(6)} ${String(rate).padStart(6)} ${r.achievedPerSecond.toFixed(0).padStart(11)} ` +
    `${ms(r.p50)}${ms(r.p90)}${ms(r.p99)}${ms(r.max)} ${String(r.errors).padStart(8)}   cores: ${cpu}`
  );
}
