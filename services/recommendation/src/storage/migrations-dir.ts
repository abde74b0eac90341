import { fileURLToPath } from "node:url";

/** Absolute path of the recommendation database's SQL migrations (node-pg-migrate files, see `migrate()`). */
export const RECOMMENDATION_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));
