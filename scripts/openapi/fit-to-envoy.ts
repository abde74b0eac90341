/**
 * The post-processing step between google/gnostic's protoc-gen-openapi and gen/openapi/openapi.json:
 * the generator's OpenAPI 3 document describes the `google.api.http` rules of the protos, and this
 * step makes it say what Envoy's gRPC-JSON transcoder actually serves with the print options of
 * envoy/render-config.ts. Each change is listed on {@link fitToEnvoy}; nothing else is touched, so
 * paths, operations, parameters and schemas remain the generator's. OpenAPI 3.0.3:
 * https://spec.openapis.org/oas/v3.0.3. Transcoder: https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/grpc_json_transcoder_filter.
 */
import { isFieldSet } from "@bufbuild/protobuf";
import type { DescriptorProto, FieldDescriptorProto, FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FieldDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** A JSON value, as an OpenAPI document is made of. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** Name of the security scheme of {@link fitToEnvoy} (`components.securitySchemes`). */
export const BEARER_SCHEME = "bearerAuth";

/** `info` of the served document. */
const INFO: JsonObject = {
  title: "recsys REST API",
  version: "v1",
  description:
    "The public REST routes of the recommendation mesh as Envoy serves them: Envoy's gRPC-JSON transcoder " +
    "turns each google.api.http rule of the protos into a gRPC call. Generated from proto/ by google/gnostic's " +
    "protoc-gen-openapi and scripts/openapi/fit-to-envoy.ts; regenerate with `npm run generate`, never edit. " +
    "JSON field names are lowerCamelCase, every scalar, enum and repeated field of an answer is present " +
    "(defaults included), 64-bit integers are JSON strings, enums are their value names, timestamps RFC 3339. " +
    "Errors are `{\"code\": <gRPC status code>, \"message\": \"…\"}`: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, " +
    "PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS 409, request body too large 413, RESOURCE_EXHAUSTED " +
    "429 (with retry-after), UNAVAILABLE 503, DEADLINE_EXCEEDED 504.",
};

/** The licence of the API's description, as package.json's. */
const LICENSE: JsonObject = { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" };

/** The server: relative, the Envoy that served this document (OpenAPI 3.0.3 §4.7.5: relative to where the document is). */
const SERVERS: Json = [{ url: "/", description: "the Envoy listener that serves this document at /openapi.json" }];

/** The description of the client errors (4XX) an operation may answer. */
const CLIENT_ERROR_DESCRIPTION =
  "A client error, google.rpc.Status as JSON: 400 INVALID_ARGUMENT (the message names the field), 401 UNAUTHENTICATED, " +
  "403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ALREADY_EXISTS, 413 body over the limit, 429 RESOURCE_EXHAUSTED (retry-after).";

/**
 * A short summary of an operation: the first sentence of its description (the proto comment), on one line.
 *
 * @param description - the operation's description.
 */
export function summaryOf(description: string): string {
  const line = description.replace(/\s+/g, " ").trim();
  const end = line.search(/[.;:](\s|$)|, or /);
  return end === -1 ? line : line.slice(0, end);
}

/** The error answer's description (the generator's is "Default error response"). */
const ERROR_DESCRIPTION =
  "An error: google.rpc.Status as JSON, `{\"code\": N, \"message\": \"…\"}`, the HTTP status following the gRPC code " +
  "(INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS 409, " +
  "RESOURCE_EXHAUSTED 429, UNAVAILABLE 503); Envoy's own answers (413, 429, 404 for no route) have the same shape.";

/** The bearer scheme: a user's access token or the service token (README, "Security model"). */
const SECURITY_SCHEME: JsonObject = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
  description:
    "`authorization: Bearer <token>`: a user's access token (an HS256 JWT from POST /v1/sessions) acts for that user " +
    "only; the service token (SERVICE_TOKEN) acts for any user. Catalog reads, registration and sign-in need none; " +
    "recording events, changing an account and reading a user's data need one (401 without, 403 for another user's data).",
};

/** Whether a field is always in the transcoder's JSON (always_print_primitive_fields): scalars, enums, repeated and map fields, except proto3 `optional` and oneof members. */
function alwaysPrinted(field: FieldDescriptorProto): boolean {
  if (field.label === FieldDescriptorProto_Label.REPEATED) return true;
  if (field.type === FieldDescriptorProto_Type.MESSAGE || field.type === FieldDescriptorProto_Type.GROUP) return false;
  // A proto3 `optional` field is in a synthetic oneof; oneof_index is a proto2 optional field, read as 0 when unset.
  return !field.proto3Optional && !isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex);
}

/** The messages of the files, by simple name (gnostic's schema names without fq_schema_naming). */
function messagesByName(files: readonly FileDescriptorProto[]): Map<string, DescriptorProto> {
  const byName = new Map<string, DescriptorProto>();
  const add = (message: DescriptorProto): void => {
    byName.set(message.name ?? "", message);
    message.nestedType.forEach(add);
  };
  for (const file of files) file.messageType.forEach(add);
  return byName;
}

/** The schema names a JSON value refers to (`#/components/schemas/<name>`). */
function refsIn(value: Json, into: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")) into.add(v.slice("#/components/schemas/".length));
      else refsIn(v, into);
    }
  }
  return into;
}

/** `roots` and every schema they reach through `$ref`s. */
function closure(roots: Set<string>, schemas: JsonObject): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const schema = schemas[name];
    if (schema !== undefined) stack.push(...refsIn(schema, new Set()));
  }
  return seen;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * An enum as the transcoder reads it in a request: the value's name or its number (protobuf's JSON
 * mapping accepts both, https://protobuf.dev/programming-guides/json/); answers print names only.
 */
function requestEnum(schema: JsonObject): JsonObject {
  const { enum: names, type: _type, format: _format, description, ...rest } = schema;
  return {
    ...rest,
    ...(description === undefined ? {} : { description }),
    anyOf: [{ type: "string", enum: names ?? [] }, { type: "integer", format: "int32" }],
  };
}

/**
 * Fits gnostic's document to what Envoy serves. The changes, each because the generator cannot know it:
 *
 * 1. `info` names the API and says how it is made ({@link INFO}); gnostic's is the first service's.
 * 2. Answers list their always-printed fields as `required` (the transcoder's
 *    `always_print_primitive_fields: true`: scalars, enums and repeated fields are present even at
 *    their default; message fields and proto3 `optional` fields only when set). Only schemas
 *    reached from answers alone get this, never one a request also uses, where every field is optional.
 * 3. Request bodies are optional (`requestBody.required: false`): the transcoder reads a
 *    missing body as the empty message, and the service decides (400 naming a required field, or
 *    an update that changes nothing).
 * 3b. Enums in requests (query parameters, request-only body schemas) take the value's name or
 *    its number, as the transcoder does; answers keep the names only.
 * 4. The error schema `Status` requires `code` and `message`, as every error body has them
 *    (convert_grpc_status and the local reply mappers of render-config.ts), and the default
 *    answer's description says which HTTP status each gRPC code becomes.
 * 5. Each operation has a `summary` ({@link summaryOf}) and a `4XX` answer (the same Status as
 *    `default`), the document a licence and a relative server (`/`, the Envoy that serves it),
 *    which the linter (redocly.yaml) asks for.
 * 6. The bearer scheme ({@link BEARER_SCHEME}) is declared and every operation accepts it or no
 *    credential (`security: [{}, {bearerAuth: []}]`): which routes need one depends on whose data
 *    they touch, as README's "Security model" explains.
 *
 * @param doc - the generator's document (openapi.yaml parsed), not modified.
 * @param files - the proto files of the generation request (their field labels and options).
 * @returns the document to serve.
 * @throws Error when the document has no `components.schemas` or a response schema names no message of `files`.
 */
export function fitToEnvoy(doc: JsonObject, files: readonly FileDescriptorProto[]): JsonObject {
  const out = structuredClone(doc) as JsonObject;
  const components = out.components as JsonObject | undefined;
  const schemas = components?.schemas as JsonObject | undefined;
  if (components === undefined || schemas === undefined) throw new Error("the generator's document has no components.schemas");
  const messages = messagesByName(files);

  const responseRoots = new Set<string>();
  const requestRoots = new Set<string>();
  const bodyRoots = new Set<string>();
  for (const item of Object.values(out.paths as JsonObject)) {
    for (const [method, operation] of Object.entries(item as JsonObject)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const op = operation as JsonObject;
      refsIn(op.responses ?? null, responseRoots);
      refsIn(op.parameters ?? null, requestRoots);
      refsIn(op.requestBody ?? null, bodyRoots);
      op.security = [{}, { [BEARER_SCHEME]: [] }];
      if (typeof op.description === "string") op.summary = summaryOf(op.description);
      // The transcoder reads a missing body as the empty message, which the service then validates
      // (found by Schemathesis: PATCH /v1/users/1 without a body answers the account, unchanged).
      const body = op.requestBody as JsonObject | undefined;
      if (body !== undefined) body.required = false;
      const responses = op.responses as JsonObject | undefined;
      const fallback = responses?.default as JsonObject | undefined;
      if (responses !== undefined && fallback !== undefined) {
        fallback.description = ERROR_DESCRIPTION;
        responses["4XX"] = { ...fallback, description: CLIENT_ERROR_DESCRIPTION };
      }
    }
  }
  const inResponses = closure(responseRoots, schemas);
  const inRequests = closure(new Set([...requestRoots, ...bodyRoots]), schemas);

  for (const name of inResponses) {
    if (inRequests.has(name) || name === "GoogleProtobufAny") continue;
    const schema = schemas[name] as JsonObject;
    if (name === "Status") {
      schema.required = ["code", "message"];
      continue;
    }
    const message = messages.get(name);
    if (message === undefined) throw new Error(`response schema ${name} names no message of the protos`);
    const properties = Object.keys((schema.properties as JsonObject | undefined) ?? {});
    const required = message.field.filter(alwaysPrinted).map((f) => f.jsonName ?? f.name ?? "").filter((n) => properties.includes(n));
    if (required.length > 0) schema.required = required;
  }
  for (const name of closure(bodyRoots, schemas)) {
    const schema = schemas[name] as JsonObject;
    // No additionalProperties: false: the transcoder ignores a body field the message does not have
    // (measured: POST /v1/events with an extra field is recorded), unlike an unknown query parameter.
    if (inResponses.has(name)) continue;
    const properties = (schema.properties as Record<string, JsonObject> | undefined) ?? {};
    for (const [field, property] of Object.entries(properties)) if (Array.isArray(property.enum)) properties[field] = requestEnum(property);
  }
  for (const item of Object.values(out.paths as JsonObject)) {
    for (const [method, operation] of Object.entries(item as JsonObject)) {
      if (!HTTP_METHODS.includes(method)) continue;
      for (const parameter of ((operation as JsonObject).parameters as JsonObject[] | undefined) ?? []) {
        const schema = parameter.schema as JsonObject | undefined;
        if (schema !== undefined && Array.isArray(schema.enum)) parameter.schema = requestEnum(schema);
      }
    }
  }

  components.securitySchemes = { [BEARER_SCHEME]: SECURITY_SCHEME };
  const { openapi, paths, ...rest } = out;
  delete rest.info;
  return { openapi: openapi ?? "3.0.3", info: { ...INFO, license: LICENSE }, servers: SERVERS, paths: paths ?? {}, ...rest };
}
