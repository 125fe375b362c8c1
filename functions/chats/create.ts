/** `POST /api/experimental/chats`: a user starts a chat with its first message and server selection. */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { createChat } from '../../db/chats/queries.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { errorResponses } from '../mcp/servers/schemas.js';
import { ChatCreateBody, ChatSchema, toSelectionInput } from './schemas.js';

const route = createRoute({
  method: 'post',
  path: '/chats',
  tags: ['Chats'],
  summary: 'Start a chat',
  security: [{ bearerAuth: [] }],
  middleware: [authenticate()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: ChatCreateBody } } } },
  responses: {
    201: { description: 'The new chat with its first message', content: { 'application/json': { schema: ChatSchema } } },
    ...errorResponses,
  },
});

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.openapi(route, async (c) => {
  const body = c.req.valid('json');

  const chat = await createChat(c.var.db, c.var.actor, {
    title: body.title,
    content: body.content,
    mcpServerIds: toSelectionInput(body.mcp_server_ids),
  });

  return c.json(chat, 201);
});

export default app;
