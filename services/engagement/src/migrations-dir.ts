import path from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the engagement service's SQL migrations (`services/engagement/migrations`). */
export const ENGAGEMENT_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../migrations");
