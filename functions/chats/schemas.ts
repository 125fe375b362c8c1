/** Request and response schemas of the chat endpoints. */
import { z } from '@hono/zod-openapi';
import { messageRoles } from '../../db/chats/types.js';
import { ErrorSchema } from '../mcp/servers/schemas.js';

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const controlCharactersExceptNewlines = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const maxSelectedServers = 100;

const title = z
  .string()
  .trim()
  .min(1, 'Required.')
  .max(200, 'Use at most 200 characters.')
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: 'Control characters are not allowed.' });

const content = z
  .string()
  .min(1, 'Required.')
  .max(32_000, 'Use at most 32000 characters.')
  .refine((value) => value.trim().length > 0, { message: 'Must not be blank.' })
  .refine((value) => !controlCharactersExceptNewlines.test(value), { message: 'Control characters are not allowed.' });

/** Server ids as sent; de-duplication and the existence check happen in the data layer. */
const serverIds = z
  .array(z.string().regex(uuidPattern, 'Expected a UUID.'), { message: 'Expected an array of server ids.' })
  .max(maxSelectedServers, `Select at most ${maxSelectedServers} servers.`)
  .nullable()
  .optional()
  .openapi({ description: 'Absent or null: no change (on create: the default_on servers). [] clears; a list replaces.' });

export const ChatCreateBody = z
  .object({ title, content, mcp_server_ids: serverIds })
  .strict()
  .openapi('ChatCreate');

export const ChatMessageCreateBody = z.object({ content, mcp_server_ids: serverIds }).strict().openapi('ChatMessageCreate');

export const ChatMessageSchema = z
  .object({
    id: z.string().uuid(),
    chat_id: z.string().uuid(),
    role: z.enum(messageRoles),
    content: z.string(),
    created_at: z.string(),
  })
  .openapi('ChatMessage');

export const ChatSchema = z
  .object({
    id: z.string().uuid(),
    title: z.string(),
    mcp_server_ids: z.array(z.string().uuid()),
    messages: z.array(ChatMessageSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Chat');

export const ChatMessageCreatedSchema = z
  .object({
    message: ChatMessageSchema,
    mcp_server_ids: z.array(z.string().uuid()).openapi({ description: "The chat's selection after this message." }),
  })
  .openapi('ChatMessageCreated');

export const chatNotFoundResponse = {
  404: {
    description: 'No chat with this id is owned by the caller',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/** Maps `mcp_server_ids` to the data layer's meaning: null and absent both mean "no change". */
export function toSelectionInput(ids: string[] | null | undefined): string[] | undefined {
  return ids ?? undefined;
}
