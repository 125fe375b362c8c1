/** Shapes the tool-discovery data layer shares with the MCP client and the endpoints. */
import type { Transport } from '../mcp-servers/types.js';

/** Address, transport and decrypted credentials of a server; the headers never leave the process. */
export interface McpConnection {
  serverId: string;
  url: string;
  transport: Transport;
  headers: Record<string, string>;
}

/** Whose snapshot a server keeps: one shared, or one per user for per-user OAuth servers. */
export type SnapshotScope = 'shared' | 'user';

/** A stored tool snapshot. */
export interface ToolSnapshot {
  serverId: string;
  scope: SnapshotScope;
  outcome: 'ok' | 'failed';
  errorCode: string | null;
  errorDetail: string | null;
  tools: StoredTool[];
  fetchedAt: Date;
}

/** A tool as it is stored in a snapshot; names follow the MCP `Tool` type. */
export interface StoredTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
}

export function snapshotScopeOf(authType: string): SnapshotScope {
  return authType === 'oauth2' ? 'user' : 'shared';
}
