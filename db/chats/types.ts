/** Shapes of chats and their messages as the data layer returns them, in the API's field names. */

export const messageRoles = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof messageRoles)[number];

export interface ChatMessageView {
  id: string;
  chat_id: string;
  role: MessageRole;
  content: string;
  created_at: string;
}

export interface ChatView {
  id: string;
  title: string;
  /** The servers the chat chose, in the order given; see `resolveServerSelection`. */
  mcp_server_ids: string[];
  messages: ChatMessageView[];
  created_at: string;
  updated_at: string;
}

/** A change of the chat's server selection: `undefined` keeps it, a list replaces it. */
export type ServerSelectionInput = readonly string[] | undefined;
