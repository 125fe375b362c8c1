/**
 * Loads, in one query, every server a chat turn could use: the enabled servers the chat
 * selected and every enabled `force_on` server, each with whether the user has a usable
 * token and the snapshot that applies to the user. A failure of this query fails the
 * request, so a turn never runs without its forced servers.
 */
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { assertUser, type Actor } from '../actor.js';
import type { Database } from '../database.js';
import type { Availability, AuthType } from '../mcp-servers/types.js';
import { mcpServerConfigs, mcpServerToolSnapshots, mcpServerUserTokens } from '../schema.js';
import { StoredToolsSchema } from './snapshots.js';
import { snapshotScopeOf, type ToolSnapshot } from './types.js';

const c = mcpServerConfigs;
const s = mcpServerToolSnapshots;
const k = mcpServerUserTokens;

export interface TurnServerRow {
  id: string;
  slug: string;
  displayName: string;
  enabled: boolean;
  availability: Availability;
  authType: AuthType;
  connected: boolean;
  toolAllowList: string[];
  toolDenyList: string[];
  /** Last change of the configuration; a snapshot older than it is stale. */
  updatedAt: Date;
  /** Last change of the user's token; a per-user snapshot older than it is stale. */
  tokenUpdatedAt: Date | null;
  snapshot: ToolSnapshot | undefined;
}

/** @throws AccessDeniedError for the system actor. */
export async function listTurnServers(db: Database, actor: Actor, selection: readonly string[]): Promise<TurnServerRow[]> {
  assertUser(actor);
  const userId = actor.userId;
  const chosen = selection.length > 0 ? inArray(c.id, [...selection]) : undefined;

  const rows = await db
    .select({
      id: c.id,
      slug: c.slug,
      displayName: c.displayName,
      enabled: c.enabled,
      availability: c.availability,
      authType: c.authType,
      toolAllowList: c.toolAllowList,
      toolDenyList: c.toolDenyList,
      updatedAt: c.updatedAt,
      // The same test as `auth_connected`: a token that has not expired, or one that can be
      // refreshed when the turn uses it.
      connected: sql<boolean>`(${k.id} IS NOT NULL AND (${k.expiry} IS NULL OR ${k.expiry} > now()
        OR (${k.refreshToken} IS NOT NULL AND ${k.refreshFailureReason} IS NULL)))`,
      tokenUpdatedAt: k.updatedAt,
      outcome: s.outcome,
      errorCode: s.errorCode,
      errorDetail: s.errorDetail,
      tools: s.tools,
      fetchedAt: s.fetchedAt,
    })
    .from(c)
    .leftJoin(k, and(eq(k.mcpServerConfigId, c.id), eq(k.userId, userId)))
    .leftJoin(
      s,
      and(
        eq(s.mcpServerConfigId, c.id),
        or(and(sql`${c.authType} = 'oauth2'`, eq(s.userId, userId)), and(sql`${c.authType} <> 'oauth2'`, isNull(s.userId))),
      ),
    )
    .where(and(eq(c.enabled, true), chosen ? or(chosen, eq(c.availability, 'force_on')) : eq(c.availability, 'force_on')));

  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    displayName: row.displayName,
    enabled: row.enabled,
    availability: row.availability,
    authType: row.authType,
    connected: row.connected,
    toolAllowList: row.toolAllowList,
    toolDenyList: row.toolDenyList,
    updatedAt: new Date(row.updatedAt),
    tokenUpdatedAt: row.tokenUpdatedAt ? new Date(row.tokenUpdatedAt) : null,
    snapshot:
      row.outcome && row.fetchedAt
        ? {
            serverId: row.id,
            scope: snapshotScopeOf(row.authType),
            outcome: row.outcome,
            errorCode: row.errorCode,
            errorDetail: row.errorDetail,
            tools: StoredToolsSchema.parse(row.tools),
            fetchedAt: new Date(row.fetchedAt),
          }
        : undefined,
  }));
}
