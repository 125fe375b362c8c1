/**
 * Authorised access to tool snapshots. A shared snapshot is written by admins or by the
 * system (when the effective-tools endpoint finds it stale); a per-user snapshot only by its
 * user. Reading follows the server's visibility: members see enabled servers only.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { assertPrivileged, assertUser, isPrivileged, type Actor } from '../actor.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import { mcpServerConfigs, mcpServerToolSnapshots } from '../schema.js';
import type { AuthType } from '../mcp-servers/types.js';
import { upsertUser } from '../users.js';
import { snapshotScopeOf, type SnapshotScope, type StoredTool, type ToolSnapshot } from './types.js';

const s = mcpServerToolSnapshots;
const c = mcpServerConfigs;

/** Stored JSON is parsed back into named types, so a hand-edited row cannot break a response. */
export const StoredToolsSchema = z.array(
  z.object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()),
  }),
);

/** Facts about a server that the tools endpoints need besides its snapshot. */
export interface SnapshotServer {
  id: string;
  enabled: boolean;
  authType: AuthType;
  toolAllowList: string[];
  toolDenyList: string[];
  scope: SnapshotScope;
}

export interface ToolSnapshotWrite {
  outcome: 'ok' | 'failed';
  errorCode: string | null;
  errorDetail: string | null;
  tools: StoredTool[];
}

/**
 * Reads a server and the actor's snapshot of it: the user's own for per-user OAuth servers,
 * the shared one otherwise.
 * @throws NotFoundError when the id is unknown, or disabled and the actor is a member.
 */
export async function readToolSnapshot(
  db: Database,
  actor: Actor,
  serverId: string,
): Promise<{ server: SnapshotServer; snapshot: ToolSnapshot | undefined }> {
  const userId = actor.kind === 'user' ? actor.userId : null;
  const [row] = await db
    .select({
      id: c.id,
      enabled: c.enabled,
      authType: c.authType,
      toolAllowList: c.toolAllowList,
      toolDenyList: c.toolDenyList,
      outcome: s.outcome,
      errorCode: s.errorCode,
      errorDetail: s.errorDetail,
      tools: s.tools,
      fetchedAt: s.fetchedAt,
    })
    .from(c)
    .leftJoin(s, and(eq(s.mcpServerConfigId, c.id), snapshotOwnerMatches(userId)))
    .where(isPrivileged(actor) ? eq(c.id, serverId) : and(eq(c.id, serverId), eq(c.enabled, true)));
  if (!row) throw new NotFoundError('MCP server');

  const scope = snapshotScopeOf(row.authType);
  const server: SnapshotServer = {
    id: row.id,
    enabled: row.enabled,
    authType: row.authType,
    toolAllowList: row.toolAllowList,
    toolDenyList: row.toolDenyList,
    scope,
  };
  // The system actor has no per-user snapshot.
  if (!row.outcome || !row.fetchedAt || (scope === 'user' && userId === null)) return { server, snapshot: undefined };
  return {
    server,
    snapshot: {
      serverId: row.id,
      scope,
      outcome: row.outcome,
      errorCode: row.errorCode,
      errorDetail: row.errorDetail,
      tools: StoredToolsSchema.parse(row.tools),
      fetchedAt: new Date(row.fetchedAt),
    },
  };
}

/**
 * Records a listing as the server's shared or per-user snapshot, replacing the previous one.
 * @throws AccessDeniedError when a member writes a shared snapshot, or the system a per-user one.
 * @throws NotFoundError when the server does not exist (any more).
 */
export async function saveToolSnapshot(
  db: Database,
  actor: Actor,
  serverId: string,
  scope: SnapshotScope,
  write: ToolSnapshotWrite,
): Promise<ToolSnapshot> {
  if (scope === 'shared') assertPrivileged(actor);
  let userId: string | null = null;
  if (scope === 'user') {
    assertUser(actor);
    userId = actor.userId;
  }

  const fetchedAt = await db.transaction(async (tx) => {
    // Locks the server against deletion, so the snapshot cannot outlive it.
    const [server] = await tx.select({ id: c.id }).from(c).where(eq(c.id, serverId)).for('key share');
    if (!server) throw new NotFoundError('MCP server');
    if (actor.kind === 'user' && scope === 'user') await upsertUser(tx, actor);

    // The database clock stamps the row, the same clock that stamps configuration changes.
    const [saved] = await tx
      .insert(s)
      .values({ mcpServerConfigId: serverId, userId, ...write, fetchedAt: sql`now()` })
      .onConflictDoUpdate({
        target: [s.mcpServerConfigId, s.userId],
        set: {
          outcome: sql`excluded.outcome`,
          errorCode: sql`excluded.error_code`,
          errorDetail: sql`excluded.error_detail`,
          tools: sql`excluded.tools`,
          fetchedAt: sql`excluded.fetched_at`,
        },
      })
      .returning({ fetchedAt: s.fetchedAt });
    return new Date(saved!.fetchedAt);
  });
  return { serverId, scope, ...write, fetchedAt };
}

/** Matches the shared row for non-OAuth servers and the caller's row for OAuth ones. */
function snapshotOwnerMatches(userId: string | null) {
  return userId === null
    ? and(sql`${c.authType} <> 'oauth2'`, isNull(s.userId))
    : sql`${s.userId} IS NOT DISTINCT FROM (CASE WHEN ${c.authType} = 'oauth2' THEN ${userId}::uuid ELSE NULL END)`;
}
