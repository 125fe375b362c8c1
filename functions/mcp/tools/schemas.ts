/** Response schema of the tool snapshot endpoints and the mapping from a stored snapshot to it. */
import { z } from '@hono/zod-openapi';
import { isPrivileged, type Actor } from '../../../db/actor.js';
import type { SnapshotServer } from '../../../db/mcp-tools/snapshots.js';
import type { ToolSnapshot } from '../../../db/mcp-tools/types.js';
import { failureDetailFor } from '../../tools/failure-detail.js';
import { filterTools } from '../../tools/governance.js';

export const ToolSnapshotSchema = z
  .object({
    server_id: z.string().uuid(),
    scope: z.enum(['shared', 'user']).openapi({ description: 'user: the caller\'s own snapshot of a per-user OAuth server.' }),
    outcome: z.enum(['ok', 'failed', 'never_fetched']),
    error_code: z.string().nullable(),
    error_detail: z.string().nullable(),
    fetched_at: z.string().nullable(),
    age_seconds: z.number().int().nullable(),
    tools: z.array(
      z.object({
        name: z.string(),
        title: z.string().nullable(),
        description: z.string(),
        input_schema: z.record(z.string(), z.unknown()),
        allowed: z.boolean().openapi({ description: 'Passes the allow and deny lists. Members only see allowed tools.' }),
      }),
    ),
  })
  .openapi('ToolSnapshot');

export type ToolSnapshotBody = z.infer<typeof ToolSnapshotSchema>;

/**
 * Builds the response. Members get only the tools the allow and deny lists let through,
 * and a failure detail without the server's address.
 */
export function toSnapshotBody(actor: Actor, server: SnapshotServer, snapshot: ToolSnapshot | undefined, now = new Date()): ToolSnapshotBody {
  if (!snapshot) {
    return {
      server_id: server.id,
      scope: server.scope,
      outcome: 'never_fetched',
      error_code: null,
      error_detail: null,
      fetched_at: null,
      age_seconds: null,
      tools: [],
    };
  }

  const allowed = new Set(filterTools(snapshot.tools, server.toolAllowList, server.toolDenyList).map((tool) => tool.name));
  const tools = snapshot.tools
    .map((tool) => ({
      name: tool.name,
      title: tool.title ?? null,
      description: tool.description ?? '',
      input_schema: tool.inputSchema,
      allowed: allowed.has(tool.name),
    }))
    .filter((tool) => tool.allowed || isPrivileged(actor));
  return {
    server_id: server.id,
    scope: snapshot.scope,
    outcome: snapshot.outcome,
    error_code: snapshot.errorCode,
    error_detail: snapshot.errorCode && snapshot.errorDetail ? failureDetailFor(actor, snapshot.errorCode, snapshot.errorDetail) : null,
    fetched_at: snapshot.fetchedAt.toISOString(),
    age_seconds: Math.max(0, Math.floor((now.getTime() - snapshot.fetchedAt.getTime()) / 1000)),
    tools,
  };
}
