/**
 * Loads, in one query, a chat's selection and every server its turn could use: the enabled
 * servers the chat selected and every enabled `force_on` server, each with whether the user has a usable
 * token and the snapshot that applies to the user. A failure of this query fails the
 * request, so a turn never runs without its forced servers.
 */
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import { assertUser, type Actor } from '../actor.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import type { Availability, AuthType } from '../mcp-servers/types.js';
import { chats, mcpServerConfigs, mcpServerToolSnapshots, mcpServerUserTokens } from '../schema.js';
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

export interface ChatTurn {
  /** The chat's `mcp_server_ids`, as stored. */
  selection: string[];
  servers: TurnServerRow[];
}

/**
 * Reads the chat's selection and its turn servers in one statement: the chat row, joined to
 * every enabled server it selected and every enabled `force_on` server.
 * @throws AccessDeniedError for the system actor.
 * @throws NotFoundError unless the actor owns the chat.
 */
export async function loadChatTurn(db: Database, actor: Actor, chatId: string): Promise<ChatTurn> {
  assertUser(actor);
  const userId = actor.userId;

  const rows = await db
    .select({
      selection: chats.mcpServerIds,
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
    .from(chats)
    .leftJoin(c, and(eq(c.enabled, true), or(eq(c.availability, 'force_on'), sql`${c.id} = ANY(${chats.mcpServerIds})`)))
    .leftJoin(k, and(eq(k.mcpServerConfigId, c.id), eq(k.userId, userId)))
    .leftJoin(
      s,
      and(
        eq(s.mcpServerConfigId, c.id),
        or(and(sql`${c.authType} = 'oauth2'`, eq(s.userId, userId)), and(sql`${c.authType} <> 'oauth2'`, isNull(s.userId))),
      ),
    )
    .where(and(eq(chats.id, chatId), eq(chats.ownerId, userId)))
    .orderBy(asc(c.slug));
  if (rows.length === 0) throw new NotFoundError('Chat');

  const servers: TurnServerRow[] = [];
  for (const row of rows) {
    if (row.id === null || row.slug === null || row.authType === null || row.availability === null || row.updatedAt === null) continue;
    servers.push({
      id: row.id,
      slug: row.slug,
      displayName: row.displayName ?? row.slug,
      enabled: row.enabled ?? false,
      availability: row.availability,
      authType: row.authType,
      connected: row.connected,
      toolAllowList: row.toolAllowList ?? [],
      toolDenyList: row.toolDenyList ?? [],
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
    });
  }
  return { selection: rows[0]!.selection, servers };
}
