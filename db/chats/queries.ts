/**
 * Authorised data access for chats. Only the owner reaches a chat: every other caller,
 * admins included, gets `NotFoundError`, so a chat id reveals nothing about its existence.
 * Each write runs in one transaction that also records the acting user.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { assertUser, type Actor } from '../actor.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import { chatMessages, chats } from '../schema.js';
import { upsertUser } from '../users.js';
import { defaultServerSelection, resolveServerSelection } from './selection.js';
import type { ChatMessageView, ChatView, MessageRole, ServerSelectionInput } from './types.js';

export interface ChatCreate {
  title: string;
  /** The first message, stored with role `user`. */
  content: string;
  /** Absent: the enabled `default_on` servers. */
  mcpServerIds: ServerSelectionInput;
}

export interface ChatMessageCreate {
  content: string;
  /** Absent keeps the selection, `[]` clears it, a list replaces it. */
  mcpServerIds: ServerSelectionInput;
}

/**
 * Creates a chat owned by the actor with its first message.
 * @throws AccessDeniedError for the system actor.
 * @throws ValidationError when an id in the selection is unknown or disabled.
 */
export async function createChat(db: Database, actor: Actor, input: ChatCreate): Promise<ChatView> {
  assertUser(actor);
  return db.transaction(async (tx) => {
    await upsertUser(tx, actor);
    const mcpServerIds =
      input.mcpServerIds === undefined ? await defaultServerSelection(tx) : await resolveServerSelection(tx, input.mcpServerIds);

    const [chat] = await tx.insert(chats).values({ ownerId: actor.userId, title: input.title, mcpServerIds }).returning();
    const [message] = await tx
      .insert(chatMessages)
      .values({ chatId: chat!.id, role: 'user', content: input.content })
      .returning();
    return toChatView(chat!, [message!]);
  });
}

/**
 * Returns the chat with its messages, oldest first.
 * @throws NotFoundError unless the actor owns the chat.
 */
export async function getChat(db: Database, actor: Actor, chatId: string): Promise<ChatView> {
  assertUser(actor);
  // One round trip: the chat row repeats beside each message, or appears once with none.
  // NOTE: every message is returned; paging belongs here once chats grow long.
  const rows = await db
    .select({ chat: chats, message: chatMessages })
    .from(chats)
    .leftJoin(chatMessages, eq(chatMessages.chatId, chats.id))
    .where(and(eq(chats.id, chatId), eq(chats.ownerId, actor.userId)))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id));
  const chat = rows[0]?.chat;
  if (!chat) throw new NotFoundError('Chat');

  const messages = rows.flatMap((row) => (row.message ? [row.message] : []));
  return toChatView(chat, messages);
}

/**
 * Appends a user message and applies the selection change, if any.
 * @throws NotFoundError unless the actor owns the chat.
 * @throws ValidationError when an id in the selection is unknown or disabled.
 */
export async function addChatMessage(
  db: Database,
  actor: Actor,
  chatId: string,
  input: ChatMessageCreate,
): Promise<{ message: ChatMessageView; mcpServerIds: string[] }> {
  assertUser(actor);
  return db.transaction(async (tx) => {
    const [chat] = await tx
      .select({ id: chats.id, mcpServerIds: chats.mcpServerIds })
      .from(chats)
      .where(and(eq(chats.id, chatId), eq(chats.ownerId, actor.userId)))
      .for('update');
    if (!chat) throw new NotFoundError('Chat');

    const mcpServerIds =
      input.mcpServerIds === undefined ? chat.mcpServerIds : await resolveServerSelection(tx, input.mcpServerIds);
    await upsertUser(tx, actor);
    await tx.update(chats).set({ mcpServerIds, updatedAt: sql`now()` }).where(eq(chats.id, chatId));
    const [message] = await tx.insert(chatMessages).values({ chatId, role: 'user', content: input.content }).returning();
    return { message: toMessageView(message!), mcpServerIds };
  });
}

interface ChatRow {
  id: string;
  title: string;
  mcpServerIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface MessageRow {
  id: string;
  chatId: string;
  role: MessageRole;
  content: string;
  createdAt: Date;
}

function toChatView(chat: ChatRow, messages: MessageRow[]): ChatView {
  return {
    id: chat.id,
    title: chat.title,
    mcp_server_ids: chat.mcpServerIds,
    messages: messages.map(toMessageView),
    created_at: new Date(chat.createdAt).toISOString(),
    updated_at: new Date(chat.updatedAt).toISOString(),
  };
}

function toMessageView(message: MessageRow): ChatMessageView {
  return {
    id: message.id,
    chat_id: message.chatId,
    role: message.role,
    content: message.content,
    created_at: new Date(message.createdAt).toISOString(),
  };
}
