/**
 * dependency-cruiser (v17) rules of the repository: `npm run lint:deps`.
 *
 * They enforce the "Layout by role" of DESIGN.md (the shared folder beside the checkout): no import circles; serving never
 * imports offline code; the models and the stores below the serving and stream entry points
 * depend on neither; the serving domain is free of the transport (Connect, generated code,
 * request contexts); one service never reaches into another's source (services/shared excepted);
 * the benchmarks never import the test suites. Type-only imports count (`tsPreCompilationDeps`):
 * a type is a dependency of the design even when the compiled JavaScript drops it.
 *
 * Every rule is an error, so any violation fails the run. Test files are held to the same rules
 * as the code beside them: a test that needs another layer's code belongs to that layer. Each
 * violation is reported by one rule: imports of offline/training from serving, stream, storage
 * and models by runtime-not-training, other offline imports by the rule of the importing folder.
 */

/** The recommendation service's source root. */
const REC = "^services/recommendation/src";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import circles make initialisation order fragile and hide which module owns a concept; break them by moving the shared part down.",
      from: { path: "^(services|scripts|bench|test|envoy)/" },
      to: { circular: true },
    },
    {
      name: "serving-not-offline",
      severity: "error",
      comment: "Serving never imports offline code (training, evaluation, model builds, their CLIs).",
      from: { path: `${REC}/serving/` },
      to: { path: `${REC}/offline/`, pathNot: `${REC}/offline/training/` },
    },
    {
      name: "runtime-not-offline",
      severity: "error",
      comment:
        "The files at the root of the service's src (config, ...) import no offline code; only the composition root main.ts may, and only offline/model-build (see main-only-model-build).",
      from: { path: `${REC}/[^/]+$`, pathNot: `${REC}/main\\.ts$` },
      to: { path: `${REC}/offline/` },
    },
    {
      name: "main-only-model-build",
      severity: "error",
      comment:
        "The RPC server's composition root builds a model snapshot at start-up when none is stored: it may import offline/model-build, and no other offline code.",
      from: { path: `${REC}/main\\.ts$` },
      to: { path: `${REC}/offline/`, pathNot: `${REC}/offline/model-build/` },
    },
    {
      name: "runtime-not-training",
      severity: "error",
      comment: "serving, stream, storage and models never import the NeuMF trainer (model-level types live in models/ncf).",
      from: { path: `${REC}/(serving|stream|storage|models)/` },
      to: { path: `${REC}/offline/training/` },
    },
    {
      name: "models-are-leaves",
      severity: "error",
      comment: "models/ holds the model-level code every role shares; it imports none of serving, stream, storage or offline.",
      from: { path: `${REC}/models/` },
      to: { path: `${REC}/(serving|stream|storage|offline)/`, pathNot: `${REC}/offline/training/` },
    },
    {
      name: "storage-not-serving-or-offline",
      severity: "error",
      comment: "Storage (repositories, Redis stores, artifacts) sits below serving and offline code and imports neither.",
      from: { path: `${REC}/storage/` },
      to: { path: `${REC}/(serving|offline)/`, pathNot: `${REC}/offline/training/` },
    },
    {
      name: "stream-not-serving-or-offline",
      severity: "error",
      comment: "The Kafka consumers are entry points beside the RPC server: they import neither serving nor offline code.",
      from: { path: `${REC}/stream/` },
      to: { path: `${REC}/(serving|offline)/`, pathNot: `${REC}/offline/training/` },
    },
    {
      name: "domain-not-transport",
      severity: "error",
      comment:
        "The serving domain is free of the transport: no @connectrpc/*, no generated code, no request context (errors and contexts are mapped at the service edge).",
      from: { path: `${REC}/serving/domain/` },
      to: {
        path: ["(^|/)node_modules/@connectrpc/", "^@connectrpc/", "^gen/", "^services/shared/src/request-context\\.ts$"],
      },
    },
    {
      name: "bench-not-test",
      severity: "error",
      comment: "Benchmarks do not import the test suites or their support code; what both need lives in scripts/ or the services.",
      from: { path: "^bench/" },
      to: { path: "^test/" },
    },
    {
      name: "no-cross-service-src",
      severity: "error",
      comment:
        "A service's source never imports another service's source; what services share lives in services/shared. (scripts/ may import anything.)",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/[^/]+/", pathNot: ["^services/$1/", "^services/shared/"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that resolves to nothing is a typo or a missing dependency.",
      from: { path: "^(services|scripts|bench|test|envoy)/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // node_modules and gen/ are not cruised (their own imports are not ours to check) but stay
    // visible as targets, which the transport and unresolvable rules need; .run/ (local state) is
    // left out entirely.
    doNotFollow: { path: ["(^|/)node_modules/", "^gen/"] },
    exclude: { path: ["(^|/)\\.run/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".tsx", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
