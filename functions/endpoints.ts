/**
 * Every endpoint under the API prefix, in the order they are matched. The composed app and
 * the OpenAPI document both read this list, so a route cannot be served without being
 * described.
 */
import listAuditLogs from './audit-logs/list.js';
import addChatMessage from './chats/add-message.js';
import createChat from './chats/create.js';
import getChat from './chats/get.js';
import getChatTools from './chats/tools.js';
import createMcpServer from './mcp/servers/create.js';
import deleteMcpServer from './mcp/servers/delete.js';
import getMcpServer from './mcp/servers/get.js';
import listMcpServers from './mcp/servers/list.js';
import oauth2Callback from './mcp/servers/oauth2/callback.js';
import oauth2ClientMetadata from './mcp/servers/oauth2/client-metadata.js';
import oauth2Connect from './mcp/servers/oauth2/connect.js';
import oauth2ConnectUrl from './mcp/servers/oauth2/connect-url.js';
import oauth2Disconnect from './mcp/servers/oauth2/disconnect.js';
import updateMcpServer from './mcp/servers/update.js';
import getMcpServerTools from './mcp/tools/get.js';
import refreshMcpServerTools from './mcp/tools/refresh.js';

export const apiPrefix = '/api/experimental';

export const endpoints = [
  listMcpServers,
  createMcpServer,
  getMcpServer,
  updateMcpServer,
  deleteMcpServer,
  oauth2ConnectUrl,
  oauth2Connect,
  oauth2Callback,
  oauth2Disconnect,
  oauth2ClientMetadata,
  getMcpServerTools,
  refreshMcpServerTools,
  createChat,
  getChat,
  addChatMessage,
  getChatTools,
  listAuditLogs,
];
