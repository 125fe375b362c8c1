/**
 * Keeps tool snapshots current: lists a server's tools through the MCP client and records
 * the result, and decides when a stored snapshot is still good enough for a chat turn.
 */
import { systemActor, type Actor } from '../../db/actor.js';
import type { Database } from '../../db/database.js';
import { loadMcpConnection, type AccessTokenSource } from '../../db/mcp-tools/connection.js';
import { saveToolSnapshot } from '../../db/mcp-tools/snapshots.js';
import type { TurnServerRow } from '../../db/mcp-tools/turn-servers.js';
import type { SnapshotScope, ToolSnapshot } from '../../db/mcp-tools/types.js';
import type { Runtime } from '../env.js';
import { createMcpFetch } from '../mcp-client/fetch.js';
import { OAuth2ConnectionRequiredError, OAuth2RefreshUnavailableError, getUsableAccessToken } from '../oauth/access-token.js';
import { listServerTools } from '../mcp-client/list-tools.js';
import type { ToolListing, TurnServerPlan } from './governance.js';

/** A failed listing is retried after this long at most, even when snapshots may be older. */
export const failedSnapshotMaxAgeMs = 30_000;

export interface DiscoveryContext {
  db: Database;
  runtime: Runtime;
  requestId: string;
}

export type RefreshResult = { kind: 'saved'; snapshot: ToolSnapshot } | { kind: 'needs_auth' };

/**
 * Lists the server's tools as `actor` and stores the result as the `scope` snapshot. The
 * listing's failures are stored too; only a missing OAuth token stops before connecting.
 * `writer` is who records a shared snapshot: the actor itself, or the system when a member's
 * chat turn finds the shared snapshot stale.
 * @throws NotFoundError when the server is unknown or hidden from the actor.
 */
export async function refreshToolSnapshot(
  context: DiscoveryContext,
  actor: Actor,
  serverId: string,
  scope: SnapshotScope,
  writer: Actor = actor,
): Promise<RefreshResult> {
  const { db, runtime } = context;
  const loaded = await loadMcpConnection(db, runtime.keyring, accessTokenSource(context), scope === 'user' ? actor : writer, serverId);
  if (loaded.kind === 'needs_auth') return { kind: 'needs_auth' };

  const listing = await listServerTools(loaded.connection, {
    fetch: createMcpFetch(runtime),
    timeoutMs: runtime.config.mcpTools.connectTimeoutMs,
    log: runtime.log,
    logFields: { request_id: context.requestId },
  });
  const snapshot = await saveToolSnapshot(db, scope === 'user' ? actor : writer, serverId, scope, {
    outcome: listing.outcome,
    errorCode: listing.outcome === 'failed' ? listing.errorCode : null,
    errorDetail: listing.outcome === 'failed' ? listing.errorDetail : null,
    tools: listing.outcome === 'ok' ? listing.tools : [],
  });
  return { kind: 'saved', snapshot };
}

/** Reads users' tokens through the refresh-capable path; a user who must reconnect gets `needs_auth`. */
function accessTokenSource(context: DiscoveryContext): AccessTokenSource {
  const { db, runtime } = context;
  const tokenContext = {
    db,
    keyring: runtime.keyring,
    outbound: { fetch: runtime.fetchOutbound, allowLocalTargets: runtime.config.allowLocalTargets },
    log: runtime.log,
  };
  return async (actor, serverId) => {
    try {
      return await getUsableAccessToken(tokenContext, actor, serverId);
    } catch (error) {
      if (error instanceof OAuth2ConnectionRequiredError) return undefined;
      throw error;
    }
  };
}

/**
 * Returns the listing of every open server of the turn, from its snapshot when fresh and
 * from the server otherwise. Servers are listed concurrently, each bounded by the connect
 * timeout, so the slowest server sets the latency.
 */
export async function collectTurnListings(
  context: DiscoveryContext,
  actor: Actor,
  plans: readonly TurnServerPlan[],
  rows: readonly TurnServerRow[],
  now = new Date(),
): Promise<Map<string, ToolListing>> {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const maxAgeMs = context.runtime.config.mcpTools.snapshotMaxAgeMs;
  const listings = new Map<string, ToolListing>();

  await Promise.all(
    plans
      .filter((plan) => plan.gate === 'open')
      .map(async ({ server }) => {
        const row = byId.get(server.id)!;
        let snapshot = row.snapshot && isSnapshotFresh(row, row.snapshot, now, maxAgeMs) ? row.snapshot : undefined;
        if (!snapshot) {
          const scope: SnapshotScope = server.authType === 'oauth2' ? 'user' : 'shared';
          let result: RefreshResult;
          try {
            result = await refreshToolSnapshot(context, actor, server.id, scope, systemActor('tool_snapshot_refresh'));
          } catch (error) {
            // A provider that cannot refresh the user's token right now makes this server
            // unreachable for the turn; it does not fail the whole request.
            if (!(error instanceof OAuth2RefreshUnavailableError)) throw error;
            const detail = 'The authorization server could not refresh the token; retry later.';
            listings.set(server.id, { outcome: 'failed', errorCode: 'oauth2_refresh_failed', errorDetail: detail, fetchedAt: now });
            return;
          }
          if (result.kind === 'needs_auth') return;
          snapshot = result.snapshot;
        }
        listings.set(server.id, toListing(snapshot));
      }),
  );
  return listings;
}

/**
 * Returns whether a snapshot may be reused: it is younger than the configured age (30
 * seconds at most for a failure) and newer than the last change of the configuration and
 * of the user's token.
 */
export function isSnapshotFresh(row: Pick<TurnServerRow, 'updatedAt' | 'tokenUpdatedAt'>, snapshot: ToolSnapshot, now: Date, maxAgeMs: number): boolean {
  const limit = snapshot.outcome === 'ok' ? maxAgeMs : Math.min(maxAgeMs, failedSnapshotMaxAgeMs);
  if (now.getTime() - snapshot.fetchedAt.getTime() >= limit) return false;
  if (snapshot.fetchedAt < row.updatedAt) return false;
  if (snapshot.scope === 'user' && row.tokenUpdatedAt && snapshot.fetchedAt < row.tokenUpdatedAt) return false;
  return true;
}

export function toListing(snapshot: ToolSnapshot): ToolListing {
  if (snapshot.outcome === 'ok') return { outcome: 'ok', tools: snapshot.tools, fetchedAt: snapshot.fetchedAt };
  return {
    outcome: 'failed',
    errorCode: snapshot.errorCode ?? 'unknown',
    errorDetail: snapshot.errorDetail ?? '',
    fetchedAt: snapshot.fetchedAt,
  };
}
