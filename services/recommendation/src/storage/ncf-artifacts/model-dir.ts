import path from "node:path";
import { fileURLToPath } from "node:url";

/** `<repository>/.run/dev/models`: where `npm start` keeps models when MODEL_DIR is unset. */
export const DEFAULT_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../../.run/dev/models");
