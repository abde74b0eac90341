import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import path from "node:path";
import type { EpochStats, NcfDataSnapshot, TrainedNeuMF } from "../../models/ncf/ncf-types.js";
import { type NeuMFOptions, resolveNeuMFOptions } from "../../models/ncf/neumf-options.js";
import { NeuMFScorer } from "../../models/ncf/neumf-scorer.js";
import { GmfCandidateIndex, type GmfCandidateIndexOptions } from "../../models/ncf/gmf-candidate-index.js";
import { neumfTensorSpecs, weightsFromList, weightsToList } from "../../models/ncf/neumf-weights.js";

/** The `format` string of every NCF artifact manifest. */
export const NCF_ARTIFACT_FORMAT = "recsys-ncf-neumf";

/** The artifact layout this build writes and reads; a manifest with another version is refused. */
export const NCF_ARTIFACT_FORMAT_VERSION = 1;

/** Files of an artifact directory besides `manifest.json`, each covered by a SHA-256 in the manifest. */
export const NCF_ARTIFACT_FILES = ["weights.bin", "weights.json", "users.json", "items.json", "options.json", "data.json", "metrics.json"] as const;

/** A version directory name: UTC time to the millisecond, then 8 hex digits of the weights' SHA-256. */
const VERSION_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

/** `manifest.json`: what the artifact is and the SHA-256 of every other file. */
export interface NcfArtifactManifest {
  /** Always {@link NCF_ARTIFACT_FORMAT}. */
  readonly format: string;
  /** {@link NCF_ARTIFACT_FORMAT_VERSION} when written. */
  readonly formatVersion: number;
  /** The version (the directory's name). */
  readonly version: string;
  /** When it was written, ISO 8601 UTC. */
  readonly createdAt: string;
  /** File name → its SHA-256 (hex) and size in bytes. */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

/** `weights.json`: where each tensor lies in `weights.bin` (raw little-endian float32, tensors back to back). */
export interface NcfWeightIndex {
  /** Always "float32". */
  readonly dtype: "float32";
  /** Always "little-endian". */
  readonly byteOrder: "little-endian";
  /** The tensors, in `neumfTensorSpecs` order. */
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly byteOffset: number }[];
}

/** `metrics.json`: how training went. */
export interface NcfArtifactMetrics {
  /** HR@10 of the last epoch's leave-one-out validation, when there was one. */
  readonly validationHr10?: number;
  /** NDCG@10 of the last epoch's validation, when there was one. */
  readonly validationNdcg10?: number;
  /** Validation cases (users) behind those numbers (0 without validation). */
  readonly validationUsers: number;
  /** Wall time of training, in ms. */
  readonly trainingMs: number;
  /** The TensorFlow.js backend that trained. */
  readonly backend: string;
  /** Every epoch's statistics. */
  readonly epochs: readonly EpochStats[];
}

/** A loaded, validated artifact. */
export interface LoadedNcfArtifact {
  /** Its version (directory name). */
  readonly version: string;
  /** Its directory. */
  readonly dir: string;
  /** Its manifest. */
  readonly manifest: NcfArtifactManifest;
  /** The scorer over its weights. */
  readonly scorer: NeuMFScorer;
  /** The options it was trained with. */
  readonly options: NeuMFOptions;
  /** What it was trained on. */
  readonly data: NcfDataSnapshot;
  /** How training went. */
  readonly metrics: NcfArtifactMetrics;
  /**
   * The approximate-nearest-neighbour index over its GMF item embeddings, built at load when the
   * model knows at least `candidateIndex.minItems` items (see {@link LoadNcfArtifactOptions});
   * undefined for smaller catalogs, whose users are scored against every item.
   */
  readonly candidates?: GmfCandidateIndex;
}

/** Options of {@link loadNcfArtifact}. */
export interface LoadNcfArtifactOptions {
  /**
   * Build a {@link GmfCandidateIndex} when the model knows at least `minItems` items (a count;
   * default: never). Building costs time at load (about 80 µs per item on one core of the 2-core
   * development machine) and happens before the artifact is returned, so a swap to a newer model
   * waits for it while the current model keeps serving.
   */
  readonly candidateIndex?: GmfCandidateIndexOptions & { readonly minItems: number };
}

/** An artifact that cannot be used, with the reason (one sentence naming the file and the problem). */
export class NcfArtifactError extends Error {
  /**
   * @param dir - the artifact directory.
   * @param problem - what is wrong.
   */
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`NCF artifact ${path.basename(dir)} refused: ${problem}`);
    this.name = "NcfArtifactError";
  }

  /** The refused version (the directory's name). */
  get version(): string {
    return path.basename(this.dir);
  }
}

/** Where the artifacts of a model directory live: `<modelDir>/ncf`. */
export function ncfArtifactRoot(modelDir: string): string {
  return path.join(modelDir, "ncf");
}

/** What {@link writeNcfArtifact} stores besides the trained model. */
export interface WriteNcfArtifactOptions {
  /** Validation cases behind the last epoch's HR/NDCG (default 0). */
  readonly validationUsers?: number;
  /** The artifact time (default now); its UTC form starts the version. */
  readonly now?: Date;
}

/**
 * Writes a trained model as a new artifact version under `root` (normally
 * `<MODEL_DIR>/ncf`): weights (`weights.bin` raw little-endian float32 + `weights.json` index),
 * the user and item id maps, the options, the data snapshot, the metrics, and last the manifest
 * with every file's SHA-256. Everything goes to a hidden temporary directory first, each file is
 * fsynced, then one rename publishes the version, so a reader never sees a partial artifact.
 *
 * @param root - the artifact root (created when missing).
 * @param trained - the model.
 * @param options - validation size and time.
 * @returns the version and its directory.
 * @throws the file-system error when writing fails (the temporary directory is removed).
 */
export async function writeNcfArtifact(
  root: string,
  trained: TrainedNeuMF,
  options: WriteNcfArtifactOptions = {},
): Promise<{ version: string; dir: string }> {
  const { scorer } = trained;
  const specs = neumfTensorSpecs(trained.options, scorer.userCount, scorer.itemCount);
  const list = weightsToList(scorer.weights);
  let byteOffset = 0;
  const tensors = specs.map((spec, t) => {
    const entry = { name: spec.name, shape: [...spec.shape], byteOffset };
    byteOffset += list[t]!.length * 4;
    return entry;
  });
  const weightsBin = Buffer.alloc(byteOffset);
  list.forEach((array, t) => writeFloat32LE(weightsBin, array, tensors[t]!.byteOffset));
  const index: NcfWeightIndex = { dtype: "float32", byteOrder: "little-endian", tensors };
  const last = trained.epochs[trained.epochs.length - 1];
  const metrics: NcfArtifactMetrics = {
    ...(last?.validationHr10 !== undefined ? { validationHr10: last.validationHr10 } : {}),
    ...(last?.validationNdcg10 !== undefined ? { validationNdcg10: last.validationNdcg10 } : {}),
    validationUsers: options.validationUsers ?? 0,
    trainingMs: Math.round(trained.trainingMs),
    backend: trained.backend,
    epochs: trained.epochs,
  };
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 1)}\n`);
  const files: Record<(typeof NCF_ARTIFACT_FILES)[number], Buffer> = {
    "weights.bin": weightsBin,
    "weights.json": json(index),
    "users.json": json(scorer.userIds),
    "items.json": json(scorer.itemIds),
    "options.json": json(trained.options),
    "data.json": json(trained.data),
    "metrics.json": json(metrics),
  };
  const now = options.now ?? new Date();
  const version = `${now.toISOString().replace(/[-:]/g, "").replace(".", "").replace("Z", "")}Z-${sha256(weightsBin).slice(0, 8)}`;
  const manifest: NcfArtifactManifest = {
    format: NCF_ARTIFACT_FORMAT,
    formatVersion: NCF_ARTIFACT_FORMAT_VERSION,
    version,
    createdAt: now.toISOString(),
    files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, { sha256: sha256(bytes), bytes: bytes.length }])),
  };

  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${version}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp);
  try {
    for (const [name, bytes] of Object.entries(files)) await writeDurably(path.join(tmp, name), bytes);
    await writeDurably(path.join(tmp, "manifest.json"), json(manifest));
    const dir = path.join(root, version);
    await rename(tmp, dir);
    await syncDirectory(root);
    return { version, dir };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Loads and validates one artifact directory: manifest format and version, every file's SHA-256,
 * the options, the id maps (strings, no duplicates), and the weight index against the shapes the
 * options and id maps imply.
 *
 * @param dir - the artifact's directory.
 * @param loadOptions - whether to build the candidate index (see {@link LoadNcfArtifactOptions}).
 * @returns the artifact with a ready scorer (and candidate index, when asked for).
 * @throws NcfArtifactError naming the first problem found.
 */
export async function loadNcfArtifact(dir: string, loadOptions: LoadNcfArtifactOptions = {}): Promise<LoadedNcfArtifact> {
  const fail = (problem: string): never => {
    throw new NcfArtifactError(dir, problem);
  };
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(path.join(dir, name));
    } catch (err) {
      return fail(`cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const parse = (name: string, bytes: Buffer): unknown => {
    try {
      return JSON.parse(bytes.toString("utf8"));
    } catch {
      return fail(`${name} is not valid JSON`);
    }
  };

  const manifest = parse("manifest.json", await read("manifest.json")) as Partial<NcfArtifactManifest> | null;
  if (!manifest || typeof manifest !== "object") return fail("manifest.json is not an object");
  if (manifest.format !== NCF_ARTIFACT_FORMAT) return fail(`manifest.json format is ${JSON.stringify(manifest.format)}, expected "${NCF_ARTIFACT_FORMAT}"`);
  if (manifest.formatVersion !== NCF_ARTIFACT_FORMAT_VERSION) {
    return fail(`incompatible format version ${JSON.stringify(manifest.formatVersion)} (this build reads version ${NCF_ARTIFACT_FORMAT_VERSION})`);
  }
  if (typeof manifest.version !== "string" || manifest.version !== path.basename(dir)) {
    return fail(`manifest.json version ${JSON.stringify(manifest.version)} does not match the directory name`);
  }
  const contents = new Map<string, Buffer>();
  for (const name of NCF_ARTIFACT_FILES) {
    const entry = manifest.files?.[name];
    if (!entry || typeof entry.sha256 !== "string") return fail(`manifest.json lists no checksum for ${name}`);
    const bytes = await read(name);
    if (bytes.length !== entry.bytes) return fail(`${name} has ${bytes.length} bytes, the manifest says ${entry.bytes}`);
    if (sha256(bytes) !== entry.sha256) return fail(`checksum mismatch for ${name} (SHA-256 differs from the manifest)`);
    contents.set(name, bytes);
  }
  const json = (name: string): unknown => parse(name, contents.get(name)!);

  let options: NeuMFOptions;
  try {
    options = resolveNeuMFOptions(json("options.json") as Partial<NeuMFOptions>);
  } catch (err) {
    return fail(`options.json: ${(err as Error).message}`);
  }
  const ids = (name: string): string[] => {
    const value = json(name);
    if (!Array.isArray(value) || value.some((id) => typeof id !== "string" || id === "")) return fail(`${name} is not an array of non-empty strings`);
    if (new Set(value).size !== value.length) return fail(`${name} has duplicate ids`);
    return value as string[];
  };
  const userIds = ids("users.json");
  const itemIds = ids("items.json");

  const index = json("weights.json") as Partial<NcfWeightIndex> | null;
  if (!index || index.dtype !== "float32" || index.byteOrder !== "little-endian" || !Array.isArray(index.tensors)) {
    return fail("weights.json is not a little-endian float32 weight index");
  }
  const specs = neumfTensorSpecs(options, userIds.length, itemIds.length);
  if (index.tensors.length !== specs.length) return fail(`weights.json lists ${index.tensors.length} tensors, the options imply ${specs.length}`);
  const bin = contents.get("weights.bin")!;
  let expectedOffset = 0;
  const arrays: Float32Array[] = [];
  for (let t = 0; t < specs.length; t++) {
    const spec = specs[t]!;
    const entry = index.tensors[t]!;
    if (entry.name !== spec.name) return fail(`weights.json tensor ${t} is ${JSON.stringify(entry.name)}, expected ${spec.name}`);
    if (!Array.isArray(entry.shape) || entry.shape.join(",") !== spec.shape.join(",")) {
      return fail(`tensor ${spec.name} has shape [${String(entry.shape)}], the options and id maps imply [${spec.shape.join(", ")}]`);
    }
    if (entry.byteOffset !== expectedOffset) return fail(`tensor ${spec.name} starts at byte ${entry.byteOffset}, expected ${expectedOffset}`);
    const length = spec.shape.reduce((a, b) => a * b, 1);
    if (expectedOffset + length * 4 > bin.length) return fail(`weights.bin is too short for tensor ${spec.name}`);
    arrays.push(readFloat32LE(bin, expectedOffset, length));
    expectedOffset += length * 4;
  }
  if (expectedOffset !== bin.length) return fail(`weights.bin has ${bin.length} bytes, the weight index covers ${expectedOffset}`);

  const data = json("data.json") as NcfDataSnapshot;
  if (!data || data.users !== userIds.length || data.items !== itemIds.length) {
    return fail(`data.json counts (${data?.users} users, ${data?.items} items) disagree with the id maps (${userIds.length}, ${itemIds.length})`);
  }
  const metrics = json("metrics.json") as NcfArtifactMetrics;
  let scorer: NeuMFScorer;
  try {
    scorer = new NeuMFScorer(userIds, itemIds, weightsFromList(arrays, options.mlpLayers.length), options);
  } catch (err) {
    return fail((err as Error).message);
  }
  const indexOptions = loadOptions.candidateIndex;
  const candidates = indexOptions && scorer.itemCount >= indexOptions.minItems ? await GmfCandidateIndex.build(scorer, indexOptions) : undefined;
  return { version: manifest.version, dir, manifest: manifest as NcfArtifactManifest, scorer, options, data, metrics, ...(candidates ? { candidates } : {}) };
}

/**
 * The artifact versions under a root, newest first (hidden temporary directories and other names
 * are ignored; a missing root has none).
 *
 * @throws the file-system error when the root exists but cannot be read.
 */
export async function listNcfArtifactVersions(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return entries
    .filter((e) => e.isDirectory() && VERSION_PATTERN.test(e.name))
    .map((e) => e.name)
    .sort()
    .reverse();
}

/**
 * Deletes all but the newest `keep` artifact versions under a root (by version order, which is
 * time order), so that a process writing a version per retraining does not fill the disk.
 * Readers load only the newest valid version, and an older one is never swapped in, so deleting
 * the old ones takes nothing away from a running service.
 *
 * @param root - the artifact root (normally `<MODEL_DIR>/ncf`).
 * @param keep - how many versions to keep, at least 1.
 * @returns the versions deleted, newest first.
 * @throws RangeError when `keep` is below 1; the file-system error when deleting fails.
 */
export async function pruneNcfArtifacts(root: string, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer ≥ 1, got ${keep}`);
  const old = (await listNcfArtifactVersions(root)).slice(keep);
  for (const version of old) await rm(path.join(root, version), { recursive: true, force: true });
  return old;
}

/** What {@link loadNewestValidArtifact} found. */
export interface NewestArtifactResult {
  /** The newest artifact that passed validation, or undefined when none did. */
  readonly artifact: LoadedNcfArtifact | undefined;
  /** Newer versions that were refused, newest first, each with its reason. */
  readonly rejected: readonly NcfArtifactError[];
}

/**
 * Loads the newest valid artifact under `root` (normally `<MODEL_DIR>/ncf`): tries the versions
 * newest first and stops at the first that passes {@link loadNcfArtifact}.
 *
 * @param root - the artifact root.
 * @param options - `newerThan`: only consider versions sorting after this one; `skip`: versions not
 *   to try; `candidateIndex`: see {@link LoadNcfArtifactOptions}.
 * @returns the artifact (or undefined) and one error per refused newer version.
 * @throws the file-system error when the root cannot be listed.
 */
export async function loadNewestValidArtifact(
  root: string,
  options: { newerThan?: string; skip?: ReadonlySet<string> } & LoadNcfArtifactOptions = {},
): Promise<NewestArtifactResult> {
  const rejected: NcfArtifactError[] = [];
  for (const version of await listNcfArtifactVersions(root)) {
    if (options.newerThan !== undefined && version <= options.newerThan) break;
    if (options.skip?.has(version)) continue;
    try {
      return { artifact: await loadNcfArtifact(path.join(root, version), options), rejected };
    } catch (err) {
      if (!(err instanceof NcfArtifactError)) throw err;
      rejected.push(err);
    }
  }
  return { artifact: undefined, rejected };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const littleEndianHost = endianness() === "LE";

function writeFloat32LE(target: Buffer, values: Float32Array, byteOffset: number): void {
  if (littleEndianHost) {
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(target, byteOffset);
    return;
  }
  for (let i = 0; i < values.length; i++) target.writeFloatLE(values[i]!, byteOffset + 4 * i);
}

function readFloat32LE(source: Buffer, byteOffset: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (littleEndianHost) {
    Buffer.from(out.buffer).set(source.subarray(byteOffset, byteOffset + length * 4));
    return out;
  }
  for (let i = 0; i < length; i++) out[i] = source.readFloatLE(byteOffset + 4 * i);
  return out;
}

async function writeDurably(file: string, bytes: Buffer): Promise<void> {
  const handle = await open(file, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle.close();
  }
}
