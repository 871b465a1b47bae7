/**
 * The HTTP API's clients (migration 0022): tokens kept as their sha256 only, and the record of every
 * commit a client made through the API, keyed by its Idempotency-Key.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

type Db = Kysely<Database>;

export type ApiScope = "read" | "commit";
export const API_SCOPES: readonly ApiScope[] = ["read", "commit"];
/** A client's name: letters, digits, `.`, `_`, `-`, 1 to 63 characters (the table checks the same). */
export const API_CLIENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** The stored form of a token. */
export const tokenHash = (token: string): string => sha256(token);

/**
 * A new token for `client` with `scope`: 32 random bytes, base64url, prefixed `bk_` so it is
 * recognisable in a leaked config file. Returned once; only its hash is stored.
 */
export async function createApiToken(db: Db, client: string, scope: ApiScope): Promise<{ id: number; token: string }> {
  if (!API_CLIENT_PATTERN.test(client)) throw new Error(`client "${client}": letters, digits, ".", "_" or "-", 1 to 63 characters`);
  const token = `bk_${randomBytes(32).toString("base64url")}`;
  const row = await db.insertInto("api_token").values({ client, scope, token_hash: tokenHash(token), revoked_at: null }).returning("id").executeTakeFirstOrThrow();
  return { id: Number(row.id), token };
}

/** The client and scope of a presented token, undefined when unknown or revoked. */
export async function findApiToken(db: Db, token: string): Promise<{ client: string; scope: ApiScope } | undefined> {
  const row = await db
    .selectFrom("api_token")
    .select(["client", "scope"])
    .where("token_hash", "=", tokenHash(token))
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row ? { client: row.client, scope: row.scope } : undefined;
}

export interface ApiCommitRecord {
  readonly client: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly request: unknown;
  readonly statusCode: number;
  readonly response: unknown;
  readonly correctionId: number | null;
}

/** The commit a client made under an Idempotency-Key, if any. */
export async function findApiCommit(db: Db, client: string, idempotencyKey: string): Promise<ApiCommitRecord | undefined> {
  const r = await db.selectFrom("api_commit").selectAll().where("client", "=", client).where("idempotency_key", "=", idempotencyKey).executeTakeFirst();
  if (!r) return undefined;
  return {
    client: r.client, idempotencyKey: r.idempotency_key, requestHash: r.request_hash, request: r.request,
    statusCode: r.status_code, response: r.response, correctionId: r.correction_id === null ? null : Number(r.correction_id),
  };
}

/**
 * Records a commit; when the same (client, key) was recorded meanwhile (two requests racing), keeps the
 * first and returns it: the caller answers with what this returns.
 */
export async function recordApiCommit(db: Db, c: ApiCommitRecord): Promise<ApiCommitRecord> {
  await db
    .insertInto("api_commit")
    .values({
      client: c.client, idempotency_key: c.idempotencyKey, request_hash: c.requestHash, request: JSON.stringify(c.request),
      status_code: c.statusCode, response: JSON.stringify(c.response), correction_id: c.correctionId,
    })
    .onConflict((oc) => oc.columns(["client", "idempotency_key"]).doNothing())
    .execute();
  return (await findApiCommit(db, c.client, c.idempotencyKey))!;
}
