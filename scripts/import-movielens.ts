/**
 * `npm run import`: loads MovieLens into the product, user and engagement databases (see
 * `importMovieLens` in ./movielens-import.ts), showing progress on stderr and printing the time of
 * each stage and the total. Environment: MOVIELENS_DIR (else the GroupLens zip is downloaded to
 * `${RECSYS_HOME:-~/.cache/recsys}/data`), PRODUCT_DATABASE_URL, USER_DATABASE_URL,
 * ENGAGEMENT_DATABASE_URL, LOG_LEVEL (default warn), IMPORT_PROGRESS (bars, lines or silent).
 * Exits 1 with the error's message on failure.
 */
import { createLogger } from "../services/shared/src/logger.js";
import { formatMs, type ProgressMode } from "./import-progress.js";
import { importMovieLens, type ImportStage } from "./movielens-import.js";

const logger = createLogger("import");
if (!process.env.LOG_LEVEL) logger.level = "warn";

const mode = process.env.IMPORT_PROGRESS;
const progress: ProgressMode | undefined = mode === "bars" || mode === "lines" || mode === "silent" ? mode : undefined;

try {
  const result = await importMovieLens({ logger, progress });
  const stages: ImportStage[] = ["dataset", "schema", "catalog", "users", "ratings"];
  console.log(`MovieLens imported from ${result.dir}`);
  for (const stage of stages) console.log(`  ${stage.padEnd(8)} ${formatMs(result.stageMs[stage])}`);
  console.log(`  ${"total".padEnd(8)} ${formatMs(result.totalMs)}`);
} catch (err) {
  console.error(`import failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
