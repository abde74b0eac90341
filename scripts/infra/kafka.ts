import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { randomKafkaClusterId } from "./kafka-cluster-id.js";
import { claimPorts, runCommand, spawnManaged, StartFailedError, waitUntilReady } from "./managed-process.js";
import { DEFAULT_TOPIC_RETENTION_MS } from "../../services/shared/src/outbox/ensure-topic.js";
import { javaPath, KAFKA_LOG4J_CONFIG, kafkaLibsDir } from "./paths.js";

/**
 * Default time-based retention of the broker's logs (`log.retention.ms`), in ms: the engagement
 * topic's own default (`DEFAULT_TOPIC_RETENTION_MS`, 7 days, Kafka's default too), so a topic with
 * or without its own `retention.ms` keeps the same days. Replaying the retained log after Redis lost
 * the trending statistics rebuilds what those days hold (see
 * services/recommendation/src/stream/state-loss-replay.ts).
 */
export const DEFAULT_LOG_RETENTION_MS = DEFAULT_TOPIC_RETENTION_MS;

/** Options of {@link startKafka}. */
export interface KafkaOptions {
  /** The stack's data directory; the broker keeps `server.properties` and its logs in `<dataDir>/kafka`. */
  readonly dataDir: string;
  /** Client (PLAINTEXT) port on 127.0.0.1. */
  readonly port: number;
  /** KRaft controller port on 127.0.0.1. */
  readonly controllerPort: number;
  /** File that the broker's output (log4j WARN and above) is appended to. */
  readonly logFile: string;
  /** Delete `<dataDir>/kafka` before starting (a new cluster with no topics). Default false. */
  readonly reset?: boolean;
  /** How long to wait for the broker to answer a metadata request, in ms (default 90000). */
  readonly readyTimeoutMs?: number;
  /**
   * The broker's `log.retention.ms`, in ms: how long a topic without its own `retention.ms` keeps a
   * log segment (default {@link DEFAULT_LOG_RETENTION_MS}, 7 days; -1 keeps it forever).
   */
  readonly retentionMs?: number;
}

/** A running single-node Kafka started by {@link startKafka}. */
export interface KafkaHandle {
  /** Bootstrap servers for kafkajs: `["127.0.0.1:<port>"]`. */
  readonly brokers: readonly string[];
  /** Process id of the JVM. */
  readonly pid: number;
  /**
   * Creates a topic unless it exists (auto-creation is off), waiting until its partitions have leaders.
   * An existing topic is left as it is, whatever its partition count.
   *
   * @param name - the topic.
   * @param partitions - number of partitions for a new topic (default 3); replication factor is 1.
   * @returns true when the topic was created now, false when it existed.
   * @throws KafkaJSError when the broker refuses.
   */
  ensureTopic(name: string, partitions?: number): Promise<boolean>;
  /** SIGTERM (controlled shutdown, a few seconds), SIGKILL after 30 s. */
  stop(): Promise<void>;
}

/**
 * The broker configuration: one KRaft node acting as broker and controller, listening on 127.0.0.1
 * only, with replication factors of 1 and topic auto-creation off. The internal offsets and
 * transaction topics get one partition (instead of 50) so that the first consumer group forms in
 * well under a second; `group.initial.rebalance.delay.ms=0` removes the 3 s join delay. Logs are
 * retained for `retentionMs` (default {@link DEFAULT_LOG_RETENTION_MS}, 7 days) without size limit:
 * the trending statistics rebuilt by replay after Redis lost them are those of the retained days.
 *
 * @param options - ports, log directory and retention (ms, an integer ≥ 1, or -1 for no limit).
 * @throws RangeError for any other retention.
 */
export function kafkaServerProperties(options: { port: number; controllerPort: number; logDir: string; retentionMs?: number }): string {
  const retentionMs = options.retentionMs ?? DEFAULT_LOG_RETENTION_MS;
  if (!Number.isSafeInteger(retentionMs) || (retentionMs < 1 && retentionMs !== -1)) {
    throw new RangeError(`Kafka retentionMs must be an integer >= 1 (ms) or -1 (no limit), got ${retentionMs}`);
  }
  const settings: Record<string, string | number> = {
    "node.id": 1,
    "process.roles": "broker,controller",
    listeners: `PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${options.port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "controller.quorum.voters": `1@127.0.0.1:${options.controllerPort}`,
    "log.dirs": options.logDir,
    "num.partitions": 3,
    "auto.create.topics.enable": "false",
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 1,
    "group.initial.rebalance.delay.ms": 0,
    // The trending statistics in Redis are rebuilt by replaying the retained log when Redis loses
    // them (services/recommendation/src/stream/state-loss-replay.ts): what decays with τ = 1 h needs
    // far less than the 7 days kept by default; all-time counts older than that are not rebuilt.
    "log.retention.ms": retentionMs,
    "log.retention.bytes": -1,
  };
  return (
    "# Written by scripts/infra/kafka.ts at every start; edits are lost.\n" +
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n") +
    "\n"
  );
}

/** A kafkajs client that logs nothing and does not retry (for probes and administration). */
function quietClient(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: "recsys-infra",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
}

/** Resolves true once the broker answers a metadata request and lists itself. */
async function brokerAnswers(brokers: readonly string[]): Promise<boolean> {
  const admin = quietClient(brokers).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Asks for a group coordinator, which makes the broker create `__consumer_offsets` now rather than
 * when the first consumer joins (that join would otherwise wait for it, and kafkajs would log "The
 * group coordinator is not available" meanwhile). Retries for up to about 10 s.
 */
async function createOffsetsTopic(brokers: readonly string[]): Promise<void> {
  const admin = new Kafka({
    clientId: "recsys-infra",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 },
  }).admin();
  await admin.connect();
  try {
    await admin.describeGroups(["recsys-infra-warm-up"]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts a private single-node Apache Kafka in KRaft mode (combined broker and controller) from the
 * jars `npm run provision` fetched, run by the machine's Java 17 with a 256-512 MiB heap. Writes
 * `<dataDir>/kafka/server.properties` (see {@link kafkaServerProperties}), formats the storage
 * directory once with a random cluster id, starts `kafka.Kafka` and waits until kafkajs can read the
 * cluster metadata.
 *
 * Port policy: see {@link claimPorts} (a running server is never reused).
 *
 * @param options - data directory, ports, log file.
 * @returns a handle with the bootstrap servers, `ensureTopic()` and `stop()`.
 * @throws MissingToolError when Java or the Kafka jars are missing; PortInUseError when a port is
 *   taken; Error when formatting fails; StartFailedError (with the log's tail) when the broker exits
 *   or is not ready in time.
 */
export async function startKafka(options: KafkaOptions): Promise<KafkaHandle> {
  const java = javaPath();
  const classpath = path.join(kafkaLibsDir(), "*");
  const kafkaDir = path.resolve(options.dataDir, "kafka");
  const logDir = path.join(kafkaDir, "data");
  const propertiesFile = path.join(kafkaDir, "server.properties");
  const pidFile = path.resolve(options.dataDir, "kafka.pid");
  const log4j = `-Dlog4j.configuration=file:${KAFKA_LOG4J_CONFIG}`;
  await claimPorts("kafka", pidFile, [options.port, options.controllerPort], 30_000);
  if (options.reset === true) rmSync(kafkaDir, { recursive: true, force: true });
  mkdirSync(kafkaDir, { recursive: true });
  writeFileSync(
    propertiesFile,
    kafkaServerProperties({ port: options.port, controllerPort: options.controllerPort, logDir, retentionMs: options.retentionMs }),
  );
  if (!existsSync(path.join(logDir, "meta.properties"))) {
    // Drawn as Kafka's Uuid.randomUuid() does: never starting with "-", which StorageTool would read as a flag.
    const clusterId = randomKafkaClusterId();
    await runCommand([
      java,
      ...["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", log4j, "-cp", classpath],
      ...["kafka.tools.StorageTool", "format", "-t", clusterId, "-c", propertiesFile],
    ]);
  }
  const proc = await spawnManaged({
    name: "kafka",
    command: java,
    args: [
      ...["-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true", log4j],
      ...["-cp", classpath, "kafka.Kafka", propertiesFile],
    ],
    logFile: options.logFile,
    pidFile,
    ports: [options.port, options.controllerPort],
    stopSignal: "SIGTERM",
    stopTimeoutMs: 30_000,
  });
  const brokers = [`127.0.0.1:${options.port}`];
  await waitUntilReady(proc, () => brokerAnswers(brokers), { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250 });
  try {
    await createOffsetsTopic(brokers);
  } catch (err) {
    await proc.stop();
    throw new StartFailedError("kafka", `group coordinator not available: ${(err as Error).message}`, options.logFile);
  }
  return {
    brokers,
    pid: proc.pid,
    async ensureTopic(name: string, partitions = 3): Promise<boolean> {
      const admin = new Kafka({ clientId: "recsys-infra", brokers, logLevel: logLevel.WARN }).admin();
      await admin.connect();
      try {
        if ((await admin.listTopics()).includes(name)) return false;
        return await admin.createTopics({
          topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
          waitForLeaders: true,
        });
      } finally {
        await admin.disconnect();
      }
    },
    stop: () => proc.stop(),
  };
}
