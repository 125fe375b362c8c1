/**
 * Operator views and actions on the stored keys that need no data key: the status report,
 * and deleting every secret when a key is lost.
 */
import { isNotNull, or, sql } from 'drizzle-orm';
import { systemActor, type Actor } from '../actor.js';
import { noRequest, writeAuditEntry, type AuditContext } from '../audit/entries.js';
import type { Database } from '../database.js';
import { dbcryptKeys, dbcryptLeases, mcpServerConfigs, mcpServerUserTokens } from '../schema.js';
import { acquireLease, releaseLease, rotationLeaseName } from './lease.js';
import { countRowsPerKey } from './reencrypt.js';

export interface KeyStatus {
  number: number;
  state: 'active' | 'revoked';
  /** The KMS key id or local root key id that wraps the data key. */
  wrappedBy: string;
  createdAt: Date;
  ageDays: number;
  revokedAt: Date | null;
  /** Encrypted values under this key, across every secret column. */
  rows: number;
}

export interface DbcryptStatus {
  keys: KeyStatus[];
  /** The rotation lease, when a run holds it or a crashed run left it. */
  lease: { holder: string; expiresAt: Date } | undefined;
}

/** Reads every key, newest first, with its age and the rows under it. */
export async function readDbcryptStatus(db: Database): Promise<DbcryptStatus> {
  const rows = await db
    .select({
      number: dbcryptKeys.number,
      activeKeyDigest: dbcryptKeys.activeKeyDigest,
      kmsKeyId: dbcryptKeys.kmsKeyId,
      createdAt: dbcryptKeys.createdAt,
      revokedAt: dbcryptKeys.revokedAt,
      ageDays: sql<number>`extract(epoch from now() - ${dbcryptKeys.createdAt}) / 86400`.mapWith(Number),
    })
    .from(dbcryptKeys)
    .orderBy(sql`${dbcryptKeys.number} DESC`);
  const rowsPerKey = await countRowsPerKey(db);
  const [lease] = await db
    .select({ holder: dbcryptLeases.holder, expiresAt: dbcryptLeases.expiresAt })
    .from(dbcryptLeases)
    .where(sql`${dbcryptLeases.name} = ${rotationLeaseName}`);
  return {
    keys: rows.map((row) => ({
      number: row.number,
      state: row.activeKeyDigest ? 'active' : 'revoked',
      wrappedBy: row.kmsKeyId,
      createdAt: new Date(row.createdAt),
      ageDays: row.ageDays,
      revokedAt: row.revokedAt ? new Date(row.revokedAt) : null,
      rows: row.activeKeyDigest ? (rowsPerKey.get(row.activeKeyDigest) ?? 0) : 0,
    })),
    lease: lease ? { holder: lease.holder, expiresAt: new Date(lease.expiresAt) } : undefined,
  };
}

export interface DeleteAllResult {
  outcome: 'deleted' | 'busy';
  serverSecretsCleared: number;
  tokensDeleted: number;
  keysRevoked: number;
}

/**
 * Drops every stored secret and token and revokes every data key, in one transaction. It is
 * the way out when a data key or its wrapping key is lost: the service then starts without
 * keys, makes a new one on the next write, and admins and users enter their secrets again.
 * Runs under the rotation lease; `busy` when a rotation holds it.
 */
export async function deleteAllSecrets(
  db: Database,
  holder: string,
  options: { actor?: Actor; audit?: AuditContext } = {},
): Promise<DeleteAllResult> {
  const lease = await acquireLease(db, rotationLeaseName, holder, 60_000);
  if (!lease) return { outcome: 'busy', serverSecretsCleared: 0, tokensDeleted: 0, keysRevoked: 0 };
  try {
    return await db.transaction(async (tx) => {
      const c = mcpServerConfigs;
      const cleared = await tx
        .update(c)
        .set({
          oauth2ClientSecret: null,
          oauth2ClientSecretKeyId: null,
          apiKeyValue: null,
          apiKeyValueKeyId: null,
          customHeaders: null,
          customHeadersKeyId: null,
          updatedAt: sql`now()`,
        })
        .where(or(isNotNull(c.oauth2ClientSecret), isNotNull(c.apiKeyValue), isNotNull(c.customHeaders)))
        .returning({ id: c.id });
      const tokens = await tx.delete(mcpServerUserTokens).returning({ id: mcpServerUserTokens.id });
      const keys = await tx
        .update(dbcryptKeys)
        .set({ revokedKeyDigest: sql`${dbcryptKeys.activeKeyDigest}`, activeKeyDigest: null, revokedAt: sql`now()` })
        .where(isNotNull(dbcryptKeys.activeKeyDigest))
        .returning({ number: dbcryptKeys.number });
      const result: DeleteAllResult = { outcome: 'deleted', serverSecretsCleared: cleared.length, tokensDeleted: tokens.length, keysRevoked: keys.length };
      const diff = { server_secrets_cleared: result.serverSecretsCleared, tokens_deleted: result.tokensDeleted, keys_revoked: result.keysRevoked };
      await writeAuditEntry(
        tx,
        options.actor ?? systemActor('cli'),
        { action: 'dbcrypt.delete_all', resourceType: 'dbcrypt_keys', resourceId: null, diff },
        options.audit ?? noRequest,
      );
      return result;
    });
  } finally {
    await releaseLease(db, lease);
  }
}
