/**
 * `npm start`: runs the whole mesh locally on MovieLens and keeps it running until Ctrl-C.
 *
 * `npm start` first runs scripts/provision.sh (installs what is missing, a no-op otherwise), then
 * this file: PostgreSQL, Redis, Kafka (KRaft) and Envoy on loopback, the MovieLens import, the four
 * services, the trending consumer and the web console (built with Vite when its sources changed,
 * its file server on :52251 behind Envoy); then it prints
 * `ready: console http://127.0.0.1:8080/, REST http://127.0.0.1:8080, gRPC 127.0.0.1:50051-50054`. Ctrl-C (or SIGTERM) stops
 * everything it started. A service or consumer process that exits unexpectedly is restarted with
 * back-off (scripts/infra/supervisor.ts, DEFAULT_RESTART_POLICY); one that keeps crashing (a sixth
 * exit within a minute) stops the mesh with status 1 and names its log. Data is kept in `.run/dev`, so a second start reuses it.
 *
 * Secrets: `JWT_SECRET` and `SERVICE_TOKEN` from the environment, else from `.run/secrets.env`,
 * generated (random, mode 0600) on the first start, so the mesh never runs on the public
 * development defaults. GetRecommendations is open to anonymous callers for the demo
 * (`PUBLIC_RECOMMENDATION_READS=true` unless the environment says otherwise); events and accounts
 * need the user's token or the service token.
 *
 * NeuMF is not waited for: the retrainer trains it in the background (at once on a fresh machine)
 * while the recommendation service serves content, popularity and trending, and a line is printed
 * when the service swaps a new NeuMF model in.
 *
 * Options: `--reset` deletes `.run/dev` data first; `--help`.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { loadOrCreateDevSecrets } from "./dev-secrets.js";
import { REPO_ROOT } from "./infra/paths.js";
import { CONSOLE_PORT_OFFSET, DEFAULT_SERVICE_PORTS, startMesh } from "./mesh.js";
import { devPorts } from "./infra/stack.js";

const { values } = parseArgs({
  options: { reset: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
});
if (values.help) {
  console.log("usage: npm start [-- --reset]\n  --reset  delete the local data (.run/dev) and import again");
  process.exit(0);
}

const started = performance.now();
const log = (line: string): void => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);

let stopping = false;
/** Stops the mesh and exits; set once the mesh is up. */
let shutdown = (_reason: string, _exitCode?: number): void => {};
/** A crash loop: the mesh stops with status 1 and says which process and where its log is. */
const crashLoop = (detail: string): void => {
  console.error(`crash loop: ${detail}`);
  shutdown("crash loop", 1);
};

try {
  const secretsFile = path.join(REPO_ROOT, ".run", "secrets.env");
  const { secrets, source } = loadOrCreateDevSecrets(secretsFile);
  const publicRecommendations = process.env.PUBLIC_RECOMMENDATION_READS ?? "true";
  const mesh = await startMesh({
    serviceEnv: { ...secrets, PUBLIC_RECOMMENDATION_READS: publicRecommendations },
    preset: devPorts,
    reset: values.reset,
    // NeuMF trains in the background: ready at once with content, popularity and trending.
    retrainer: {},
    servicePorts: DEFAULT_SERVICE_PORTS,
    // The web console, built when its sources changed, served by Envoy on the REST port at /.
    console: { port: DEFAULT_SERVICE_PORTS.recommendation + CONSOLE_PORT_OFFSET },
    onStep: log,
    // A process that exits unexpectedly is restarted with back-off; only a crash loop stops the mesh.
    supervise: { onCrashLoop: (_name, detail) => crashLoop(detail) },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const { catalog, users, ratings, totalMs } = mesh.imported;
  log(
    `imported ${catalog.total} products, ${users.total} users, ${ratings.total} ratings in ${(totalMs / 1000).toFixed(1)}s; ` +
      `step times (ms): ${JSON.stringify(mesh.timings)}`,
  );
  log(`logs: ${path.relative(process.cwd(), path.join(devPorts.dataDir, "logs"))}/*.log (one JSON line per event); started in ${seconds}s`);
  const ports = Object.values(DEFAULT_SERVICE_PORTS);
  const fromFile = Object.entries(source).filter(([, from]) => from === "file").map(([name]) => name);
  if (fromFile.length > 0) {
    log(`${fromFile.join(" and ")} from ${path.relative(process.cwd(), secretsFile)} (\`set -a; . ${path.relative(process.cwd(), secretsFile)}; set +a\` to use them)`);
  }
  log(
    publicRecommendations === "true"
      ? "GET /v1/users/{id}/recommendations is open for the demo (PUBLIC_RECOMMENDATION_READS=true); events and accounts need a token"
      : "reads of a user's data need that user's token or the service token",
  );
  console.log(`ready: console ${mesh.consoleUrl ?? "(none)"}, REST ${mesh.restUrl}, gRPC 127.0.0.1:${Math.min(...ports)}-${Math.max(...ports)}`);
  announceModelSwaps(mesh.metricsUrls.recommendation, performance.now());

  shutdown = (reason: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping everything`);
    mesh.stop().then(
      () => {
        log("stopped");
        process.exit(exitCode);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  console.error(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

/**
 * Prints a line each time the recommendation service serves a new NeuMF model version (its
 * `recsys_ncf_model_info{version}` metric, scraped every 2 s), so a newcomer sees when the
 * collaborative signal joins the blend.
 *
 * @param metricsUrl - the recommendation service's `/metrics` URL (none: nothing is printed).
 * @param readyAt - `performance.now()` when the mesh was ready.
 */
function announceModelSwaps(metricsUrl: string | undefined, readyAt: number): void {
  if (metricsUrl === undefined) return;
  let served: string | undefined;
  let first = true;
  const timer = setInterval(() => {
    fetch(metricsUrl, { signal: AbortSignal.timeout(1_500) })
      .then((res) => res.text())
      .then((text) => {
        const version = /^recsys_ncf_model_info\{version="([^"]+)"\} 1$/m.exec(text)?.[1];
        if (version !== undefined && version !== served) {
          const after = ((performance.now() - readyAt) / 1000).toFixed(0);
          console.log(first ? `NeuMF model ${version} served (trained before this start)` : `NeuMF model ${version} swapped in, ${after} s after ready`);
          served = version;
        }
        first = false;
      })
      .catch(() => undefined);
  }, 2_000);
  timer.unref();
}
