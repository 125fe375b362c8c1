/**
 * `POST /api/experimental/chats/{id}/messages`: the owner adds a message and may change the
 * chat's server selection in the same request.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { addChatMessage } from '../../db/chats/queries.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { IdParams, errorResponses } from '../mcp/servers/schemas.js';
import { ChatMessageCreateBody, ChatMessageCreatedSchema, chatNotFoundResponse, toSelectionInput } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/chats/{id}/messages',
  tags: ['Chats'],
  summary: 'Add a message to a chat',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: {
    params: IdParams,
    body: { required: true, content: { 'application/json': { schema: ChatMessageCreateBody } } },
  },
  responses: {
    201: {
      description: "The stored message and the chat's server selection after it",
      content: { 'application/json': { schema: ChatMessageCreatedSchema } },
    },
    ...errorResponses,
    ...chatNotFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const body = c.req.valid('json');

  const { message, mcpServerIds } = await addChatMessage(c.var.db, c.var.actor, id.toLowerCase(), {
    content: body.content,
    mcpServerIds: toSelectionInput(body.mcp_server_ids),
  });

  return c.json({ message, mcp_server_ids: mcpServerIds }, 201);
});

export default app;
