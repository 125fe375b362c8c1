/**
 * `GET /api/experimental/chats/{id}/tools`: the tools the chat's next turn may use, after
 * the governance rules in functions/tools/governance.ts, with the status of every server
 * that takes part. A server that cannot be reached is reported in the response. A failure
 * to load the servers themselves fails the request, so no turn runs without a forced server.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { loadChatTurn } from '../../db/mcp-tools/turn-servers.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { IdParams, errorResponses } from '../mcp/servers/schemas.js';
import { collectTurnListings } from '../tools/discovery.js';
import { failureDetailFor } from '../tools/failure-detail.js';
import { buildTurnTools, selectTurnServers } from '../tools/governance.js';
import { chatNotFoundResponse } from './schemas.js';

const TurnToolsSchema = z
  .object({
    chat_id: z.string().uuid(),
    servers: z.array(
      z.object({
        id: z.string().uuid(),
        slug: z.string(),
        display_name: z.string(),
        reason: z.enum(['selected', 'force_on']),
        status: z.enum(['ready', 'needs_auth', 'unreachable', 'no_tools']),
        connect_endpoint: z.string().nullable().openapi({ description: 'For needs_auth: the path that starts the OAuth connection.' }),
        error_code: z.string().nullable(),
        error_detail: z.string().nullable(),
        tool_count: z.number().int(),
        fetched_at: z.string().nullable(),
      }),
    ),
    tools: z.array(
      z.object({
        name: z.string().openapi({ description: '<slug>__<tool>, limited to [A-Za-z0-9_-] and 64 characters' }),
        server_id: z.string().uuid(),
        server_slug: z.string(),
        tool_name: z.string(),
        title: z.string().nullable(),
        description: z.string(),
        input_schema: z.record(z.string(), z.unknown()),
      }),
    ),
    collisions: z.array(
      z.object({
        name: z.string(),
        tools: z.array(z.object({ server_id: z.string().uuid(), server_slug: z.string(), tool_name: z.string() })),
      }),
    ),
  })
  .openapi('TurnTools');

const route = createRoute({
  method: 'get',
  path: '/chats/{id}/tools',
  tags: ['Chats'],
  summary: "Read the tools the chat's next turn may use",
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'Servers with their status, and the exposed tools sorted by name', content: { 'application/json': { schema: TurnToolsSchema } } },
    ...errorResponses,
    ...chatNotFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const chatId = id.toLowerCase();
  const actor = c.var.actor;

  const { selection, servers: rows } = await loadChatTurn(c.var.db, actor, chatId);

  const plans = selectTurnServers(selection, rows);
  const context = { db: c.var.db, runtime: c.var.runtime, requestId: c.var.requestId };
  const listings = await collectTurnListings(context, actor, plans, rows);
  const turn = buildTurnTools(plans, listings);
  for (const server of turn.servers) {
    if (server.error_code && server.error_detail) server.error_detail = failureDetailFor(actor, server.error_code, server.error_detail);
  }

  return c.json({ chat_id: chatId, ...turn }, 200);
});

export default app;
