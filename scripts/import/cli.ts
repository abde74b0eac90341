/**
 * `npm run import`: the importer's command line (commander).
 *
 * - `npm run import` or `npm run import -- movielens`: the fast MovieLens load of `npm start` (direct
 *   COPY into the three databases, scripts/import-movielens.ts), unchanged.
 * - `npm run import -- movielens --via-rpc [DIR]`: the same data through the public batch RPCs
 *   (scripts/import/movielens-adapter.ts), for a mesh reached only over the network.
 * - `npm run import -- products|users|events FILE [options]`: a JSON Lines or CSV file through
 *   BatchUpsertProducts, BatchImportUsers or RecordEvents (scripts/import/run-import.ts).
 *
 * The summary goes to stdout (`--json` for one JSON object per import), progress to stderr. Exit
 * codes: see EXIT_CODES in ./import-summary.ts (0 ok, 1 rows rejected, 2 bad usage or input,
 * 3 target unavailable, 4 stopped by --max-batches).
 */
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { resolveMovieLensDir } from "../../services/shared/src/movielens.js";
import { REPO_ROOT } from "../infra/paths.js";
import type { ProgressMode } from "../import-progress.js";
import { IMPORT_KINDS, mappingFromFlags, readMappingFile, type FieldMapping, type ImportKind } from "./field-mapping.js";
import { EXIT_CODES, exitCodeOf, formatSummary } from "./import-summary.js";
import { createBatchSender, DEFAULT_TARGETS, MAX_BATCH_SIZE, resolveToken } from "./import-target.js";
import { importMovieLensViaRpc } from "./movielens-adapter.js";
import { ImportUnavailableError, MAX_CONCURRENCY, runImport, type ImportSummary } from "./run-import.js";
import type { SourceFormat } from "./record-source.js";

interface CommonOptions {
  target?: string;
  token?: string;
  batchSize: number;
  concurrency: number;
  timeoutMs: number;
  resume: boolean;
  progress?: ProgressMode;
  json?: boolean;
}

interface FileOptions extends CommonOptions {
  format?: SourceFormat;
  mapping?: string;
  map: string[];
  set: string[];
  maxBatches?: number;
  maxErrors: number;
  checkpointDir: string;
}

const positiveInt = (name: string, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
  return n;
};
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function commonOptions(command: Command): Command {
  return command
    .option("--target <address>", "gRPC host:port (the service, or Envoy, which routes every public RPC) or an http(s):// URL; default the local mesh")
    .option("--token <token>", "service token (default SERVICE_TOKEN, else .run/secrets.env of npm start)")
    .option("--batch-size <n>", `rows per batch RPC, 1 to ${MAX_BATCH_SIZE}`, positiveInt("--batch-size", MAX_BATCH_SIZE), 500)
    .option("--concurrency <n>", `batches in flight at once, 1 to ${MAX_CONCURRENCY}`, positiveInt("--concurrency", MAX_CONCURRENCY), 2)
    .option("--timeout-ms <ms>", "deadline of each call, in milliseconds", positiveInt("--timeout-ms"), 30_000)
    .option("--no-resume", "start at line 1 even when an interrupted import of the file left a checkpoint")
    .addOption(new Option("--progress <mode>", "progress display (default bars on a TTY, else lines)").choices(["bars", "lines", "silent"]))
    .option("--json", "print each summary as one JSON object instead of text");
}

function print(summaries: readonly ImportSummary[], json: boolean | undefined): void {
  for (const s of summaries) process.stdout.write(json ? `${JSON.stringify(s)}\n` : formatSummary(s));
}

async function runFile(kind: ImportKind, file: string, options: FileOptions): Promise<void> {
  const mapping: FieldMapping = {
    ...(options.mapping ? readMappingFile(options.mapping, kind) : {}),
    ...mappingFromFlags(kind, options.map, options.set),
  };
  const sender = createBatchSender(kind, {
    target: options.target ?? DEFAULT_TARGETS[kind],
    token: resolveToken(options.token),
    timeoutMs: options.timeoutMs,
  });
  const summary = await runImport({
    kind,
    file,
    mapping,
    sender,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    resume: options.resume,
    checkpointDir: options.checkpointDir,
    maxErrors: options.maxErrors,
    ...(options.format ? { format: options.format } : {}),
    ...(options.maxBatches !== undefined ? { maxBatches: options.maxBatches } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
  print([summary], options.json);
  process.exitCode = exitCodeOf([summary]);
}

const program = new Command("import")
  .description("Loads a catalog, users or events into the recommendation mesh (see README: Importing data).")
  .showHelpAfterError()
  .exitOverride();

const KIND_RPC: Record<ImportKind, string> = {
  products: "BatchUpsertProducts (ProductService, default 127.0.0.1:50052)",
  users: "BatchImportUsers (UserService, default 127.0.0.1:50053)",
  events: "RecordEvents (EngagementService, default 127.0.0.1:50054)",
};

for (const kind of IMPORT_KINDS) {
  commonOptions(
    program
      .command(kind)
      .description(`imports ${kind} from a JSON Lines or CSV file through ${KIND_RPC[kind]}`)
      .argument("<file>", "the input file (.jsonl / .ndjson / .json or .csv)"),
  )
    .addOption(new Option("--format <format>", "input format (default: by extension)").choices(["jsonl", "csv"]))
    .option("--mapping <file>", "field mapping, JSON or YAML: { fields: { target: column | { column, transform, … } } }")
    .option("--map <field=column>", "map a target field to a source column (repeatable; wins over --mapping)", collect, [])
    .option("--set <field=value>", "give a target field a constant value (repeatable)", collect, [])
    .option("--max-batches <n>", "stop after n batches, keeping the checkpoint", positiveInt("--max-batches"))
    .option("--max-errors <n>", "rejected rows named in the summary", positiveInt("--max-errors"), 10)
    .option("--checkpoint-dir <dir>", "where checkpoints of interrupted imports are kept", path.join(REPO_ROOT, ".run", "import"))
    .action((file: string, options: FileOptions) => runFile(kind, file, options));
}

commonOptions(
  program
    .command("movielens", { isDefault: true })
    .description("MovieLens: the fast COPY load into the databases (npm start's), or --via-rpc through the batch RPCs")
    .argument("[dir]", "the MovieLens CSV directory (default MOVIELENS_DIR, else the GroupLens download)"),
)
  .option("--via-rpc", "import through BatchUpsertProducts, BatchImportUsers and RecordEvents instead of COPY")
  .action(async (dir: string | undefined, options: CommonOptions & { viaRpc?: boolean }) => {
    if (!options.viaRpc) {
      if (dir) process.env.MOVIELENS_DIR = dir;
      await import("../import-movielens.js");
      return;
    }
    const targets = options.target ? { products: options.target, users: options.target, events: options.target } : DEFAULT_TARGETS;
    const summaries = await importMovieLensViaRpc({
      paths: await resolveMovieLensDir(dir ? { dir } : {}),
      targets,
      token: resolveToken(options.token),
      timeoutMs: options.timeoutMs,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      workDir: path.join(REPO_ROOT, ".run", "import", "movielens"),
      resume: options.resume,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    print(summaries, options.json);
    process.exitCode = exitCodeOf(summaries);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") process.exitCode = EXIT_CODES.ok;
  else if (typeof code === "string" && code.startsWith("commander.")) process.exitCode = EXIT_CODES.usage;
  else {
    console.error(`import failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof ImportUnavailableError ? EXIT_CODES.unavailable : EXIT_CODES.usage;
  }
}
