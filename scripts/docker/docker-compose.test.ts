import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../config-docs.js";
import { COMMON_VARIABLES as COMMON, CONSUMER, GRPC_SERVICES, processReads, RETRAINER, SCRIPT_READS } from "../deployment-env.js";

/** The parts of a compose service this test reads. */
interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  restart?: string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
}

const composeText = readFileSync(path.join(REPO_ROOT, "docker-compose.yml"), "utf8");
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;
const dockerfile = readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");

/** The variables a compose service's process reads, told by its SERVICE or its command. */
function readsOf(name: string, service: ComposeService): ReadonlySet<string> {
  const env = service.environment?.SERVICE;
  try {
    return processReads(typeof env === "string" ? env : undefined, service.command ?? []);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
}

const nodeServices = Object.entries(services).filter(([, s]) => s.build?.target === "app");
const longRunning = nodeServices.filter(([, s]) => s.restart !== "no");

describe("docker-compose.yml", () => {
  it("runs every process of the mesh: four services, the consumer, the importer, the retrainer, Envoy", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["engagement", "envoy", "importer", "kafka", "postgres", "product", "recommendation", "redis", "retrainer", "trending-consumer", "user"].sort(),
    );
    expect(nodeServices.map(([n]) => n).sort()).toEqual(["engagement", "importer", "product", "recommendation", "retrainer", "trending-consumer", "user"]);
  });

  it("sets only variables that the process reads (no dead DATABASE_URL on the consumer, no RECOMMENDATION_SERVICE_ADDR)", () => {
    const dead: string[] = [];
    for (const [name, service] of nodeServices) {
      const reads = readsOf(name, service);
      for (const variable of Object.keys(service.environment ?? {})) {
        if (!reads.has(variable) && !COMMON.has(variable)) dead.push(`${name}: ${variable}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it("names only variables that the schema-less entry points really read", () => {
    for (const script of Object.values(SCRIPT_READS)) {
      const source = script.files.map((f) => readFileSync(path.join(REPO_ROOT, f), "utf8")).join("\n");
      for (const variable of script.reads) expect(source, variable).toMatch(new RegExp(`env(\\.|\\[")${variable}\\b`));
    }
  });

  it("points every peer address at the compose service of that name and its port", () => {
    const ports: Record<string, number> = Object.fromEntries(Object.entries(GRPC_SERVICES).map(([n, s]) => [n, s.port]));
    for (const [name, service] of nodeServices) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        const peer = /^(PRODUCT|USER|ENGAGEMENT|RECOMMENDATION)_SERVICE_ADDR$/.exec(variable)?.[1]?.toLowerCase();
        if (peer) expect(`${name}: ${variable}=${value}`).toBe(`${name}: ${variable}=${peer}:${ports[peer]}`);
      }
      if (typeof service.environment?.SERVICE === "string") expect(Number(service.environment.PORT)).toBe(ports[service.environment.SERVICE]);
    }
  });

  it("requires the secrets: each process that reads JWT_SECRET or SERVICE_TOKEN gets ${NAME:?…}, never a default", () => {
    const given: string[] = [];
    for (const [name, service] of nodeServices) {
      const reads = readsOf(name, service);
      for (const secret of ["JWT_SECRET", "SERVICE_TOKEN"].filter((s) => reads.has(s))) {
        expect(String(service.environment?.[secret]), `${name}: ${secret}`).toMatch(new RegExp(`^\\$\\{${secret}:\\?.+\\}$`));
        given.push(`${name}: ${secret}`);
      }
    }
    expect(given).toContain("trending-consumer: SERVICE_TOKEN");
    expect(given).toContain("retrainer: SERVICE_TOKEN");
    expect(dockerfile).toMatch(/NODE_ENV=production/);
  });

  it("gives every long-running Node process a gRPC healthcheck on its own port and a restart policy", () => {
    expect(longRunning.map(([n]) => n).sort()).toEqual(["engagement", "product", "recommendation", "retrainer", "trending-consumer", "user"]);
    for (const [name, service] of longRunning) {
      const port =
        typeof service.environment?.SERVICE === "string" ? GRPC_SERVICES[service.environment.SERVICE]!.port : name === "retrainer" ? RETRAINER.healthPort : CONSUMER.healthPort;
      expect(service.healthcheck?.test, name).toEqual(["CMD", "node", "--import", "tsx", "scripts/docker/grpc-health-probe.ts", `127.0.0.1:${port}`]);
      expect(service.restart, name).toBe("unless-stopped");
    }
    for (const name of ["postgres", "redis", "kafka", "envoy"]) expect(services[name]!.restart, name).toBe("unless-stopped");
  });

  it("trains in the background into the models volume, without holding the recommendation service back", () => {
    expect(services.importer!.restart).toBe("no");
    expect(services.retrainer!.restart).toBe("unless-stopped");
    expect(services.retrainer!.depends_on?.importer?.condition).toBe("service_completed_successfully");
    expect(services.recommendation!.depends_on).not.toHaveProperty("retrainer");
    // The first start builds the content snapshot from the catalog, so it waits for the import (never for a training).
    expect(services.recommendation!.depends_on?.importer?.condition).toBe("service_completed_successfully");
    expect(dockerfile).toMatch(/MODEL_DIR=\/app\/models/);
    expect(services.retrainer!.volumes).toContain("models:/app/models");
    expect(services.recommendation!.volumes).toContain("models:/app/models");
    expect(compose.volumes).toHaveProperty("models");
  });

  it("mounts nothing that a clean clone lacks: Envoy's descriptor is built in the image", () => {
    const gitignored = readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8").split("\n").filter((l) => l.trim() !== "");
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(":")[0]!;
        if (!source.startsWith(".")) continue;
        const relative = path.normalize(source);
        expect(gitignored.some((pattern) => relative.startsWith(pattern.replace(/\/$/, ""))), `${name}: ${volume}`).toBe(false);
      }
    }
    expect(services.envoy!.build?.target).toBe("envoy");
    expect(dockerfile).toMatch(/^FROM envoyproxy\/envoy:\S+ AS envoy$/m);
    expect(dockerfile).toMatch(/buf build proto -o \/descriptor\.binpb/);
    expect(dockerfile).toMatch(/COPY --from=descriptor \/descriptor\.binpb \/etc\/envoy\/descriptor\.binpb/);
    expect(readFileSync(path.join(REPO_ROOT, "envoy/envoy.yaml"), "utf8")).toContain("proto_descriptor: /etc/envoy/descriptor.binpb");
  });
});
