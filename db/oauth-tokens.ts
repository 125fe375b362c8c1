/**
 * Reads a user's OAuth access token for an MCP server. This version only decrypts a token
 * that has not expired; it never refreshes one.
 */
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { assertUser, type Actor } from './actor.js';
import { secretColumns, type Keyring } from './crypto/index.js';
import type { Database } from './database.js';
import { mcpServerUserTokens } from './schema.js';

const t = mcpServerUserTokens;

/**
 * Returns the actor's decrypted access token for the server, or undefined when the actor has
 * none or it has expired. The ciphertext is bound to the token row's id.
 * @throws AccessDeniedError for the system actor, which has no tokens.
 * @throws DecryptionError when the stored value does not decrypt.
 */
export async function readUsableAccessToken(db: Database, keyring: Keyring, actor: Actor, serverId: string): Promise<string | undefined> {
  assertUser(actor);
  // TODO: refresh a token that expired or is about to, instead of treating it as absent.
  const [row] = await db
    .select({ id: t.id, accessToken: t.accessToken, accessTokenKeyId: t.accessTokenKeyId })
    .from(t)
    .where(and(eq(t.mcpServerConfigId, serverId), eq(t.userId, actor.userId), or(isNull(t.expiry), gt(t.expiry, sql`now()`))));
  if (!row) return undefined;
  return keyring.decrypt(db, secretColumns.accessToken, row.id, row.accessToken, row.accessTokenKeyId);
}
