/**
 * Every endpoint under the API prefix, in the order they are matched. The composed app and
 * the OpenAPI document both read this list, so a route cannot be served without being
 * described.
 */
import createMcpServer from './mcp/servers/create.js';
import deleteMcpServer from './mcp/servers/delete.js';
import getMcpServer from './mcp/servers/get.js';
import listMcpServers from './mcp/servers/list.js';
import updateMcpServer from './mcp/servers/update.js';

export const apiPrefix = '/api/experimental';

export const endpoints = [listMcpServers, createMcpServer, getMcpServer, updateMcpServer, deleteMcpServer];
