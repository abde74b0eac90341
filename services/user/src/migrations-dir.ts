import { fileURLToPath } from "node:url";

/** Absolute path of the users database's SQL migrations (node-pg-migrate files, see `migrate()`). */
export const USER_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));
