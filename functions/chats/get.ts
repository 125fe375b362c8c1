/** `GET /api/experimental/chats/{id}`: the owner reads a chat and its messages; anyone else gets 404. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { getChat } from '../../db/chats/queries.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { IdParams, errorResponses } from '../mcp/servers/schemas.js';
import { ChatSchema, chatNotFoundResponse } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/chats/{id}',
  tags: ['Chats'],
  summary: 'Read a chat',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { params: IdParams },
  responses: {
    200: { description: 'The chat with its messages, oldest first', content: { 'application/json': { schema: ChatSchema } } },
    ...errorResponses,
    ...chatNotFoundResponse,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const { id } = c.req.valid('param');
  const chat = await getChat(c.var.db, c.var.actor, id.toLowerCase());
  return c.json(chat, 200);
});

export default app;
