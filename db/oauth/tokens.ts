/**
 * Per-user OAuth tokens (`mcp_server_user_tokens`), one row per server and user. Access and
 * refresh tokens are stored only through the keyring; callers see plaintext, never the
 * ciphertext. Every function acts for the user named by the actor and on no other row.
 */
import { and, eq, sql } from 'drizzle-orm';
import { assertUser, isPrivileged, type Actor } from '../actor.js';
import { secretColumns, type Keyring } from '../crypto/index.js';
import { noRequest, writeAuditEntry, type AuditContext } from '../audit/entries.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import { mcpServerConfigs, mcpServerUserTokens } from '../schema.js';
import { upsertUser } from '../users.js';
import { oauth2SettingsColumns, toSettings, type OAuth2ServerSettings } from './settings.js';

const tokens = mcpServerUserTokens;

export interface StoredTokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken: string | undefined;
  expiry: Date | null;
}

/** The caller's token row without secrets, with the server's OAuth settings. */
export interface UserTokenState {
  settings: OAuth2ServerSettings;
  token:
    | {
        id: string;
        tokenType: string;
        expiry: Date | null;
        hasRefreshToken: boolean;
        refreshFailureReason: string | null;
        accessToken: () => Promise<string>;
      }
    | undefined;
}

/** Replaces the caller's tokens for a server; a new row id, because the ciphertexts are bound to it. */
export async function storeUserToken(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  serverId: string,
  set: StoredTokenSet,
  options: { audit?: AuditContext } = {},
): Promise<void> {
  assertUser(actor);
  const id = crypto.randomUUID();
  const encryptor = await keyring.encryptor(db);
  const accessToken = await encryptor.encrypt(secretColumns.accessToken, id, set.accessToken);
  const refreshToken = set.refreshToken ? await encryptor.encrypt(secretColumns.refreshToken, id, set.refreshToken) : null;

  await db.transaction(async (tx) => {
    await upsertUser(tx, actor);
    const [previous] = await tx
      .delete(tokens)
      .where(and(eq(tokens.mcpServerConfigId, serverId), eq(tokens.userId, actor.userId)))
      .returning({ hasRefreshToken: sql<boolean>`${tokens.refreshToken} IS NOT NULL` });
    await tx.insert(tokens).values({
      id,
      mcpServerConfigId: serverId,
      userId: actor.userId,
      accessToken,
      accessTokenKeyId: encryptor.keyId,
      refreshToken,
      refreshTokenKeyId: refreshToken ? encryptor.keyId : null,
      tokenType: set.tokenType,
      expiry: set.expiry,
    });
    let refreshMarker: string | undefined;
    if (refreshToken) refreshMarker = previous?.hasRefreshToken ? '<changed>' : '<set>';
    else if (previous?.hasRefreshToken) refreshMarker = '<removed>';
    const diff = { access_token: previous ? '<changed>' : '<set>', ...(refreshMarker ? { refresh_token: refreshMarker } : {}) };
    await writeAuditEntry(tx, actor, { action: 'oauth2.callback', resourceType: 'mcp_server', resourceId: serverId, diff }, options.audit ?? noRequest);
  });
}

/**
 * Loads the caller's token for a server together with the server's settings, in one query.
 * @throws NotFoundError when the server is unknown, or disabled and the actor is a member.
 */
export async function readUserToken(db: Database, keyring: Keyring, actor: Actor, serverId: string): Promise<UserTokenState> {
  assertUser(actor);
  const [row] = await db
    .select({
      server: oauth2SettingsColumns,
      tokenId: tokens.id,
      accessToken: tokens.accessToken,
      accessTokenKeyId: tokens.accessTokenKeyId,
      hasRefreshToken: sql<boolean>`${tokens.refreshToken} IS NOT NULL`,
      tokenType: tokens.tokenType,
      expiry: tokens.expiry,
      refreshFailureReason: tokens.refreshFailureReason,
    })
    .from(mcpServerConfigs)
    .leftJoin(tokens, and(eq(tokens.mcpServerConfigId, mcpServerConfigs.id), eq(tokens.userId, actor.userId)))
    .where(visibleServer(actor, serverId));
  if (!row) throw new NotFoundError('MCP server');

  const settings = await toSettings(db, keyring, row.server);
  if (!row.tokenId) return { settings, token: undefined };
  const { tokenId, accessToken, accessTokenKeyId } = row;
  return {
    settings,
    token: {
      id: tokenId,
      tokenType: row.tokenType!,
      expiry: row.expiry ? new Date(row.expiry) : null,
      hasRefreshToken: row.hasRefreshToken,
      refreshFailureReason: row.refreshFailureReason,
      accessToken: () => keyring.decrypt(db, secretColumns.accessToken, tokenId, accessToken!, accessTokenKeyId!),
    },
  };
}

export type RefreshOutcome =
  | { kind: 'refreshed'; set: StoredTokenSet }
  | { kind: 'still_valid'; accessToken: string; tokenType: string }
  | { kind: 'unusable'; reason: string }
  | { kind: 'failed_permanently'; reason: string };

/**
 * Refreshes the caller's token under a row lock (`SELECT … FOR UPDATE`), so two processes
 * never redeem the same refresh token: the second one waits, then finds the token fresh.
 * `redeem` calls the provider while the lock is held. A rotated refresh token is stored in
 * the same transaction; `invalid_grant` is recorded so the user must reconnect.
 */
export async function refreshUserToken(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  serverId: string,
  isFresh: (expiry: Date | null) => boolean,
  redeem: (refreshToken: string) => Promise<{ kind: 'ok'; set: StoredTokenSet } | { kind: 'permanent_failure'; reason: string }>,
): Promise<RefreshOutcome> {
  assertUser(actor);
  const encryptor = await keyring.encryptor(db);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(tokens)
      .where(and(eq(tokens.mcpServerConfigId, serverId), eq(tokens.userId, actor.userId)))
      .for('update');
    if (!row) return { kind: 'unusable', reason: 'not_connected' };
    if (isFresh(row.expiry)) {
      const accessToken = await keyring.decrypt(tx, secretColumns.accessToken, row.id, row.accessToken, row.accessTokenKeyId);
      return { kind: 'still_valid', accessToken, tokenType: row.tokenType };
    }
    if (row.refreshFailureReason) return { kind: 'unusable', reason: row.refreshFailureReason };
    if (!row.refreshToken || !row.refreshTokenKeyId) return { kind: 'unusable', reason: 'expired' };

    const refreshToken = await keyring.decrypt(tx, secretColumns.refreshToken, row.id, row.refreshToken, row.refreshTokenKeyId);
    const result = await redeem(refreshToken);
    if (result.kind === 'permanent_failure') {
      await tx
        .update(tokens)
        .set({ refreshFailureReason: result.reason, updatedAt: sql`now()` })
        .where(eq(tokens.id, row.id));
      return { kind: 'failed_permanently', reason: result.reason };
    }

    const { set } = result;
    const rotated = set.refreshToken ? await encryptor.encrypt(secretColumns.refreshToken, row.id, set.refreshToken) : undefined;
    await tx
      .update(tokens)
      .set({
        accessToken: await encryptor.encrypt(secretColumns.accessToken, row.id, set.accessToken),
        accessTokenKeyId: encryptor.keyId,
        ...(rotated ? { refreshToken: rotated, refreshTokenKeyId: encryptor.keyId } : {}),
        tokenType: set.tokenType,
        expiry: set.expiry,
        refreshFailureReason: null,
        updatedAt: sql`now()`,
      })
      .where(eq(tokens.id, row.id));
    return { kind: 'refreshed', set: { ...set, refreshToken: set.refreshToken ?? refreshToken } };
  });
}

/**
 * Deletes the caller's token for a server and returns what revocation needs.
 * @returns undefined when the caller held no token.
 * @throws NotFoundError when the server is unknown, or disabled and the actor is a member.
 */
export async function deleteUserToken(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  serverId: string,
  options: { audit?: AuditContext } = {},
): Promise<{ settings: OAuth2ServerSettings; accessToken: string; refreshToken: string | undefined } | undefined> {
  assertUser(actor);
  const [server] = await db.select(oauth2SettingsColumns).from(mcpServerConfigs).where(visibleServer(actor, serverId));
  if (!server) throw new NotFoundError('MCP server');

  const row = await db.transaction(async (tx) => {
    const [removed] = await tx
      .delete(tokens)
      .where(and(eq(tokens.mcpServerConfigId, serverId), eq(tokens.userId, actor.userId)))
      .returning();
    // Disconnect is idempotent; a call that found no token is still recorded, with an empty diff.
    const diff = removed ? { access_token: '<removed>', ...(removed.refreshToken ? { refresh_token: '<removed>' } : {}) } : {};
    await upsertUser(tx, actor);
    await writeAuditEntry(tx, actor, { action: 'oauth2.disconnect', resourceType: 'mcp_server', resourceId: serverId, diff }, options.audit ?? noRequest);
    return removed;
  });
  if (!row) return undefined;

  // Keys outlive rows, so the returned ciphertexts still decrypt after the delete.
  const settings = await toSettings(db, keyring, server);
  const accessToken = await keyring.decrypt(db, secretColumns.accessToken, row.id, row.accessToken, row.accessTokenKeyId);
  const refreshToken =
    row.refreshToken && row.refreshTokenKeyId
      ? await keyring.decrypt(db, secretColumns.refreshToken, row.id, row.refreshToken, row.refreshTokenKeyId)
      : undefined;
  return { settings, accessToken, refreshToken };
}

function visibleServer(actor: Actor, serverId: string) {
  return isPrivileged(actor)
    ? eq(mcpServerConfigs.id, serverId)
    : and(eq(mcpServerConfigs.id, serverId), eq(mcpServerConfigs.enabled, true));
}
