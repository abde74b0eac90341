/**
 * A protoc plugin (buf.gen.yaml runs it with tsx) that writes gen/openapi/openapi.json, the OpenAPI 3
 * document of the public REST routes: it hands the generation request to google/gnostic's
 * protoc-gen-openapi (installed by scripts/provision.sh into $RECSYS_HOME/bin, default
 * ~/.cache/recsys/bin) and passes the answer through fit-to-envoy.ts, so `buf generate` alone makes
 * the served document and `npm run check:gen` keeps it fresh. Plugin protocol:
 * https://protobuf.dev/reference/other/#plugins (google/protobuf/compiler/plugin.proto).
 *
 * gnostic's options: JSON (lowerCamelCase) field names, enums as their value names, the default
 * error answer (google.rpc.Status). The go_package it insists on is supplied as `M` options (the
 * protos have none, and setting one would change the descriptors that gen/*_pb.ts embed).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, CodeGeneratorResponseSchema, CodeGeneratorResponse_Feature } from "@bufbuild/protobuf/wkt";
import { parse } from "yaml";
import { fitToEnvoy, type JsonObject } from "./fit-to-envoy.js";

/** The pinned gnostic release (scripts/provision.sh installs the same). */
const GNOSTIC_VERSION = "v0.7.1";

/** The file written, relative to the plugin's `out` (gen/). */
const OPENAPI_FILE = "openapi/openapi.json";

/**
 * @param env - the environment: `PROTOC_GEN_OPENAPI` (a path) wins, else `$RECSYS_HOME/bin/protoc-gen-openapi`
 *   (RECSYS_HOME default ~/.cache/recsys).
 * @returns the path of gnostic's protoc-gen-openapi binary.
 * @throws Error naming `npm run provision` when it is not there.
 */
function gnosticPath(env: NodeJS.ProcessEnv = process.env): string {
  const binary = env.PROTOC_GEN_OPENAPI ?? path.join(env.RECSYS_HOME ?? path.join(os.homedir(), ".cache", "recsys"), "bin", "protoc-gen-openapi");
  if (!existsSync(binary)) throw new Error(`protoc-gen-openapi (gnostic ${GNOSTIC_VERSION}) not found at ${binary}: run npm run provision (needs Go)`);
  return binary;
}

function main(): void {
  const request = fromBinary(CodeGeneratorRequestSchema, readFileSync(0));
  const goPackages = request.protoFile
    .filter((f) => !f.options?.goPackage)
    .map((f) => `M${f.name}=recsys.invalid/${path.posix.dirname(f.name ?? "")}`);
  request.parameter = ["naming=json", "enum_type=string", "default_response=true", ...goPackages].join(",");
  // buf runs the plugin once per input of buf.gen.yaml: the one of grpc-health-check's protos writes
  // nothing (an empty document there would take the place of ours).
  if (!request.fileToGenerate.some((name) => name.startsWith("recsys/"))) {
    writeAll(toBinary(CodeGeneratorResponseSchema, create(CodeGeneratorResponseSchema, { supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL) })));
    return;
  }
  const run = spawnSync(gnosticPath(), { input: toBinary(CodeGeneratorRequestSchema, request), maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`protoc-gen-openapi exited with ${run.status ?? run.signal}: ${run.stderr.toString()}`);
  const answer = fromBinary(CodeGeneratorResponseSchema, run.stdout);
  if (answer.error) throw new Error(`protoc-gen-openapi: ${answer.error}`);
  const yamlFile = answer.file.find((f) => f.name === "openapi.yaml");
  if (yamlFile === undefined) throw new Error(`protoc-gen-openapi wrote no openapi.yaml (files: ${answer.file.map((f) => f.name).join(", ")})`);
  const document = fitToEnvoy(parse(yamlFile.content ?? "") as JsonObject, request.protoFile);
  const response = create(CodeGeneratorResponseSchema, {
    supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
    file: [{ name: OPENAPI_FILE, content: `${JSON.stringify(document, null, 2)}\n` }],
  });
  writeAll(toBinary(CodeGeneratorResponseSchema, response));
}

/**
 * Writes the whole answer to stdout. One `writeSync` on a pipe may write only part of a large
 * buffer (it returns the count written; a pipe holds 64 KiB), which buf then reads as truncated
 * protobuf ("invalid wire-format data"), so it loops until every byte is out, waiting on EAGAIN.
 */
function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset, bytes.length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
