import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../config-docs.js";
import { COMMON_VARIABLES, CONSUMER, GRPC_SERVICES, processReads, RETRAINER } from "../deployment-env.js";

/** The parts of a container this test reads. */
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { grpc?: { port: number; service?: string } };
  livenessProbe?: { grpc?: { port: number; service?: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** The parts of a manifest this test reads. */
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { replicas?: number; template?: { spec: { containers: Container[] } }; selector?: Record<string, string> };
}

const dir = path.join(REPO_ROOT, "scripts/kubernetes");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(dir, f), "utf8")).map((d) => d.toJS({ maxAliasCount: 100 }) as Manifest),
);
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const external = byKind("ConfigMap").find((m) => m.metadata.name === "recsys-external")!;
const workloads = [...byKind("Deployment"), ...byKind("Job")].filter((m) => m.metadata.name !== "envoy");

describe("Kubernetes manifests", () => {
  it("kustomization.yaml lists every manifest of the folder", () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(dir, "kustomization.yaml"), "utf8"))[0]!.toJS() as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it("has a Deployment and a Service for each service, the consumer and Envoy, a Deployment for the retrainer, and a Job for the import", () => {
    const names = ["product", "user", "engagement", "recommendation", "trending-consumer", "envoy"];
    expect(byKind("Deployment").map((m) => m.metadata.name).sort()).toEqual([...names, "retrainer"].sort());
    expect(byKind("Service").map((m) => m.metadata.name).sort()).toEqual([...names].sort());
    expect(byKind("Job").map((m) => m.metadata.name).sort()).toEqual(["recsys-import"]);
  });

  it("sets only variables that each process reads, from recsys-secrets and the keys recsys-external has", () => {
    const dead: string[] = [];
    for (const workload of workloads) {
      const container = workload.spec!.template!.spec.containers[0]!;
      const env = container.env ?? [];
      const service = env.find((e) => e.name === "SERVICE")?.value;
      const reads = processReads(service, container.command ?? []);
      for (const variable of env) {
        if (!reads.has(variable.name) && !COMMON_VARIABLES.has(variable.name)) dead.push(`${workload.metadata.name}: ${variable.name}`);
        const secret = variable.valueFrom?.secretKeyRef;
        if (secret) expect(secret.name, `${workload.metadata.name}: ${variable.name}`).toBe("recsys-secrets");
        const config = variable.valueFrom?.configMapKeyRef;
        if (config) expect(external.data, `${workload.metadata.name}: ${variable.name}`).toHaveProperty(config.key);
      }
      for (const secret of ["JWT_SECRET", "SERVICE_TOKEN"].filter((s) => reads.has(s))) {
        expect(env.find((e) => e.name === secret)?.valueFrom?.secretKeyRef?.key, `${workload.metadata.name}: ${secret}`).toBe(secret);
      }
    }
    expect(dead).toEqual([]);
  });

  it("probes readiness with gRPC service \"\" and liveness with \"liveness\" on each process's port, and bounds resources", () => {
    for (const deployment of byKind("Deployment").filter((m) => m.metadata.name !== "envoy")) {
      const container = deployment.spec!.template!.spec.containers[0]!;
      const service = container.env?.find((e) => e.name === "SERVICE")?.value;
      const port = service ? GRPC_SERVICES[service]!.port : deployment.metadata.name === "retrainer" ? RETRAINER.healthPort : CONSUMER.healthPort;
      if (service) expect(container.env?.find((e) => e.name === "PORT")?.value).toBe(String(port));
      else expect(container.env?.find((e) => e.name === "HEALTH_HOST")?.value).toBe("0.0.0.0");
      expect(container.readinessProbe?.grpc, deployment.metadata.name).toEqual({ port, service: "" });
      expect(container.livenessProbe?.grpc, deployment.metadata.name).toEqual({ port, service: "liveness" });
    }
    for (const workload of [...byKind("Deployment"), ...byKind("Job")]) {
      const resources = workload.spec!.template!.spec.containers[0]!.resources;
      expect(resources?.requests?.cpu, workload.metadata.name).toBeDefined();
      expect(resources?.requests?.memory, workload.metadata.name).toBeDefined();
      expect(resources?.limits?.memory, workload.metadata.name).toBeDefined();
    }
  });

  it("runs no more trending consumers than the topic has partitions", () => {
    const consumer = byKind("Deployment").find((m) => m.metadata.name === "trending-consumer")!;
    const partitions = Number(external.data!.KAFKA_TOPIC_PARTITIONS);
    expect(partitions).toBeGreaterThanOrEqual(1);
    expect(consumer.spec!.replicas).toBeLessThanOrEqual(partitions);
    const engagement = byKind("Deployment").find((m) => m.metadata.name === "engagement")!;
    expect(engagement.spec!.template!.spec.containers[0]!.env?.find((e) => e.name === "KAFKA_TOPIC_PARTITIONS")?.valueFrom?.configMapKeyRef?.key).toBe(
      "KAFKA_TOPIC_PARTITIONS",
    );
  });
});
