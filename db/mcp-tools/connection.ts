/**
 * The one place that decrypts the credentials an MCP connection sends: the API key, the
 * custom headers and, for OAuth servers, the user's access token. The result stays in the
 * process; nothing here is logged or returned by an endpoint.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { isPrivileged, type Actor } from '../actor.js';
import { DecryptionError, secretColumns, type Keyring } from '../crypto/index.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import { mcpServerConfigs } from '../schema.js';
import type { McpConnection } from './types.js';

const t = mcpServerConfigs;

const CustomHeadersSchema = z.record(z.string(), z.string());

export type ConnectionResult = { kind: 'ready'; connection: McpConnection } | { kind: 'needs_auth' };

/**
 * Returns the user's usable OAuth access token for a server, refreshed if it was about to
 * expire, or undefined when the user must connect first.
 */
export type AccessTokenSource = (actor: Actor, serverId: string) => Promise<{ accessToken: string; tokenType: string } | undefined>;

/**
 * Loads the server's address and decrypted credentials for the actor.
 * Members reach enabled servers only; an OAuth server needs a user actor with a usable token.
 * @throws NotFoundError when the id is unknown, or disabled and the actor is a member.
 * @throws DecryptionError when a stored secret does not decrypt.
 */
export async function loadMcpConnection(
  db: Database,
  keyring: Keyring,
  accessToken: AccessTokenSource,
  actor: Actor,
  serverId: string,
): Promise<ConnectionResult> {
  const [row] = await db
    .select({
      id: t.id,
      url: t.url,
      transport: t.transport,
      authType: t.authType,
      apiKeyHeader: t.apiKeyHeader,
      apiKeyValue: t.apiKeyValue,
      apiKeyValueKeyId: t.apiKeyValueKeyId,
      customHeaders: t.customHeaders,
      customHeadersKeyId: t.customHeadersKeyId,
    })
    .from(t)
    .where(isPrivileged(actor) ? eq(t.id, serverId) : and(eq(t.id, serverId), eq(t.enabled, true)));
  if (!row) throw new NotFoundError('MCP server');

  const headers: Record<string, string> = {};
  switch (row.authType) {
    case 'oauth2': {
      if (actor.kind !== 'user') return { kind: 'needs_auth' };
      const token = await accessToken(actor, serverId);
      if (token === undefined) return { kind: 'needs_auth' };
      // RFC 6750 section 2.1: the scheme is "Bearer" whatever case the provider used for token_type.
      headers.Authorization = `${token.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : token.tokenType} ${token.accessToken}`;
      break;
    }
    case 'api_key':
      if (row.apiKeyValue && row.apiKeyValueKeyId) {
        headers[row.apiKeyHeader] = await keyring.decrypt(db, secretColumns.apiKeyValue, row.id, row.apiKeyValue, row.apiKeyValueKeyId);
      }
      break;
    case 'custom_headers':
      if (row.customHeaders && row.customHeadersKeyId) {
        const plaintext = await keyring.decrypt(db, secretColumns.customHeaders, row.id, row.customHeaders, row.customHeadersKeyId);
        Object.assign(headers, parseCustomHeaders(plaintext, row.id));
      }
      break;
    case 'none':
      break;
  }
  return { kind: 'ready', connection: { serverId: row.id, url: row.url, transport: row.transport, headers } };
}

function parseCustomHeaders(plaintext: string, serverId: string): Record<string, string> {
  try {
    return CustomHeadersSchema.parse(JSON.parse(plaintext));
  } catch {
    // The text is a decrypted secret, so neither it nor the parser's message is repeated.
    throw new DecryptionError(`Custom headers of server ${serverId} are not a JSON object of strings.`);
  }
}
