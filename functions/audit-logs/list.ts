/**
 * `GET /api/experimental/audit-logs`: an admin reads the audit log, newest first, filtered
 * by resource, actor, action and time, one page per request. `next_cursor` is an opaque
 * base64url token of the last entry's `(time, id)`. A client passes it back as `cursor` to
 * read the next page, and it is null on the last one.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { base64url } from 'jose';
import { listAuditLogs, type AuditLogPosition } from '../../db/audit/queries.js';
import type { AuditLogRow } from '../../db/schema.js';
import type { AppEnv } from '../env.js';
import { validationFailed, validationHook } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { adminErrorResponses } from '../mcp/servers/schemas.js';

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const AuditLogQuery = z
  .object({
    resource_type: z.string().regex(/^[a-z0-9_]{1,64}$/, 'Expected a resource type such as mcp_server.').optional(),
    resource_id: z.string().min(1).max(200).optional(),
    actor: z.string().regex(uuidPattern, 'Expected a user id (UUID).').optional(),
    action: z.string().regex(/^[a-z0-9_]{1,64}\.[a-z0-9_]{1,64}$/, 'Expected an action such as mcp_server.update.').optional(),
    since: z.iso.datetime({ offset: true, message: 'Expected an ISO 8601 timestamp with a time zone.' }).optional(),
    until: z.iso.datetime({ offset: true, message: 'Expected an ISO 8601 timestamp with a time zone.' }).optional(),
    limit: z.coerce.number().int('Expected a whole number.').min(1).max(200).default(50),
    cursor: z.string().max(200).optional().openapi({ description: 'The `next_cursor` of the previous page.' }),
  })
  .strict();

const AuditLogEntrySchema = z
  .object({
    id: z.string().uuid(),
    time: z.string().openapi({ format: 'date-time' }),
    actor: z.object({
      kind: z.enum(['user', 'system', 'anonymous']),
      /** Null for the system, an unauthenticated caller, or a deleted user. */
      id: z.string().uuid().nullable(),
      subject: z.string().openapi({ description: "The token subject of a user, or the system's purpose such as rotation." }),
    }),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    request_id: z.string().nullable(),
    outcome: z.enum(['success', 'failure']),
    failure_code: z.string().nullable(),
    diff: z.record(z.string(), z.unknown()).openapi({ description: 'Changed fields as {old, new}; secrets only as "<set>", "<changed>" or "<removed>".' }),
  })
  .openapi('AuditLogEntry');

const AuditLogPageSchema = z
  .object({ entries: z.array(AuditLogEntrySchema), next_cursor: z.string().nullable() })
  .openapi('AuditLogPage');

const route = createRoute({
  method: 'get',
  path: '/audit-logs',
  tags: ['Audit log'],
  summary: 'List audit log entries, newest first',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate({ role: 'admin' })] as const,
  request: { query: AuditLogQuery },
  responses: {
    200: { description: 'One page of entries', content: { 'application/json': { schema: AuditLogPageSchema } } },
    ...adminErrorResponses,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const query = c.req.valid('query');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !after) {
    throw validationFailed([{ field: 'cursor', detail: 'Invalid cursor; pass the next_cursor of the previous page unchanged.' }]);
  }
  const since = query.since ? new Date(query.since) : undefined;
  const until = query.until ? new Date(query.until) : undefined;
  if (since && until && since > until) throw validationFailed([{ field: 'until', detail: 'Must not be earlier than since.' }]);

  const page = await listAuditLogs(c.var.db, c.var.actor, {
    ...(query.resource_type !== undefined ? { resourceType: query.resource_type } : {}),
    ...(query.resource_id !== undefined ? { resourceId: query.resource_id } : {}),
    ...(query.actor !== undefined ? { actorId: query.actor.toLowerCase() } : {}),
    ...(query.action !== undefined ? { action: query.action } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(after ? { after } : {}),
    limit: query.limit,
  });

  return c.json({ entries: page.entries.map(toEntry), next_cursor: page.next ? encodeCursor(page.next) : null }, 200);
});

function toEntry(row: AuditLogRow): z.infer<typeof AuditLogEntrySchema> {
  return {
    id: row.id,
    time: new Date(row.time).toISOString(),
    actor: { kind: row.actorKind, id: row.actorId, subject: row.actorSubject },
    action: row.action,
    resource_type: row.resourceType,
    resource_id: row.resourceId,
    request_id: row.requestId,
    outcome: row.outcome,
    failure_code: row.failureCode,
    diff: row.diff,
  };
}

const CursorSchema = z.tuple([z.iso.datetime(), z.string().regex(uuidPattern)]);

function encodeCursor(position: AuditLogPosition): string {
  return base64url.encode(JSON.stringify([position.time.toISOString(), position.id]));
}

/** Returns undefined for anything that is not a cursor this endpoint made. */
function decodeCursor(cursor: string): AuditLogPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(cursor)));
  } catch {
    return undefined;
  }
  const parsed = CursorSchema.safeParse(json);
  return parsed.success ? { time: new Date(parsed.data[0]), id: parsed.data[1].toLowerCase() } : undefined;
}

export default app;
