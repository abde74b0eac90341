import type { Redis } from "ioredis";
import type pg from "pg";

/**
 * Where a user id still appears in the mesh's PostgreSQL databases: every row of every table whose
 * text form (`row::text`) contains `needle`, or whose bytea columns (outbox payloads) hold its UTF-8
 * bytes, one "db.table" entry per row.
 *
 * @param pools - a pool per database, by a name used in the answer (lower-cased).
 * @param needle - the user id (a UUID: no false matches).
 */
export async function rowsMentioning(pools: ReadonlyMap<string, pg.Pool>, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const [name, pool] of pools) {
    const tables = await pool.query<{ table_schema: string; table_name: string }>(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    );
    for (const t of tables.rows) {
      const bytea = await pool.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND data_type = 'bytea'",
        [t.table_schema, t.table_name],
      );
      const binary = bytea.rows.map((c) => ` OR position(convert_to($1, 'UTF8') in x."${c.column_name}") > 0`).join("");
      const res = await pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${t.table_schema}"."${t.table_name}" x WHERE strpos(x::text, $1) > 0${binary}`,
        [needle],
      );
      for (let i = 0; i < Number(res.rows[0]!.n); i += 1) found.push(`${name.toLowerCase()}.${t.table_name}`);
    }
  }
  return found;
}

/**
 * Every Redis key (SCAN of the whole database) whose name or value contains `needle`: strings,
 * hash fields and values, sorted-set, set and list members.
 *
 * @param redis - a client of the mesh's Redis.
 * @param needle - the user id.
 */
export async function redisKeysMentioning(redis: Redis, needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(needle)) {
        found.push(key);
        continue;
      }
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === "string") values = [(await redis.get(key)) ?? ""];
      else if (type === "hash") values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === "zset") values = await redis.zrange(key, 0, -1);
      else if (type === "set") values = await redis.smembers(key);
      else if (type === "list") values = await redis.lrange(key, 0, -1);
      if (values.some((v) => v.includes(needle))) found.push(key);
    }
  } while (cursor !== "0");
  return found;
}

/**
 * The trending cap hashes (`<prefix>cap:*`) holding a field for the user.
 *
 * @param redis - a client of the mesh's Redis.
 * @param userId - the user.
 * @param prefix - the key prefix (default `recsys:`).
 */
export async function capHashesOf(redis: Redis, userId: string, prefix = "recsys:"): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}cap:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) if ((await redis.hexists(key, userId)) === 1) found.push(key);
  } while (cursor !== "0");
  return found;
}
