import { fileURLToPath } from "node:url";

/** Absolute path of the catalog database's SQL migrations (node-pg-migrate files, see `migrate()`). */
export const PRODUCT_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));
