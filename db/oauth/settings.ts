/**
 * The OAuth settings of one MCP server as the connect, callback, refresh and revocation code
 * needs them, with the client secret decrypted, and the write that records what discovery
 * found. Nothing here reaches an API response: the HTTP layer returns only views.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isPrivileged, type Actor } from '../actor.js';
import { secretColumns, type Keyring } from '../crypto/index.js';
import type { Database } from '../database.js';
import { NotFoundError } from '../errors.js';
import { mcpServerConfigs, type OAuth2Registration } from '../schema.js';

const t = mcpServerConfigs;

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface OAuth2ServerSettings {
  id: string;
  url: string;
  authType: string;
  enabled: boolean;
  clientId: string;
  clientSecret: string | undefined;
  authUrl: string;
  tokenUrl: string;
  scopes: string;
  issuer: string;
  resource: string;
  revocationUrl: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  issParameterRequired: boolean;
  registration: OAuth2Registration | null;
}

/** What discovery and registration found; written over the admin-empty fields. */
export interface OAuth2Discovery {
  clientId: string;
  /** undefined keeps the stored secret, null removes it. */
  clientSecret: string | null | undefined;
  authUrl: string;
  tokenUrl: string;
  issuer: string;
  resource: string;
  revocationUrl: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  issParameterRequired: boolean;
  registration: OAuth2Registration;
  /** Scopes the resource advertises; the caller leaves it empty when the admin chose scopes. */
  scopes: string;
}

export const oauth2SettingsColumns = {
  id: t.id,
  url: t.url,
  authType: t.authType,
  enabled: t.enabled,
  clientId: t.oauth2ClientId,
  clientSecret: t.oauth2ClientSecret,
  clientSecretKeyId: t.oauth2ClientSecretKeyId,
  authUrl: t.oauth2AuthUrl,
  tokenUrl: t.oauth2TokenUrl,
  scopes: t.oauth2Scopes,
  issuer: t.oauth2Issuer,
  resource: t.oauth2Resource,
  revocationUrl: t.oauth2RevocationUrl,
  tokenEndpointAuthMethod: t.oauth2TokenEndpointAuthMethod,
  issParameterRequired: t.oauth2IssParameterRequired,
  registration: t.oauth2Registration,
};

export type OAuth2SettingsRow = { [K in keyof typeof oauth2SettingsColumns]: (typeof oauth2SettingsColumns)[K]['_']['data'] | null };

/**
 * Loads the OAuth settings of a server the actor may see.
 * @throws NotFoundError when the id is unknown, or the server is disabled and the actor is a member.
 */
export async function getOAuth2ServerSettings(db: Database, keyring: Keyring, actor: Actor, id: string): Promise<OAuth2ServerSettings> {
  const [row] = await db
    .select(oauth2SettingsColumns)
    .from(t)
    .where(isPrivileged(actor) ? eq(t.id, id) : and(eq(t.id, id), eq(t.enabled, true)));
  if (!row) throw new NotFoundError('MCP server');
  return toSettings(db, keyring, row);
}

/** Decrypts the client secret of a loaded row and names its fields. */
export async function toSettings(db: Database, keyring: Keyring, row: OAuth2SettingsRow): Promise<OAuth2ServerSettings> {
  const clientSecret =
    row.clientSecret && row.clientSecretKeyId
      ? await keyring.decrypt(db, secretColumns.oauth2ClientSecret, row.id!, row.clientSecret, row.clientSecretKeyId)
      : undefined;
  return {
    id: row.id!,
    url: row.url!,
    authType: row.authType!,
    enabled: row.enabled!,
    clientId: row.clientId!,
    clientSecret,
    authUrl: row.authUrl!,
    tokenUrl: row.tokenUrl!,
    scopes: row.scopes!,
    issuer: row.issuer!,
    resource: row.resource!,
    revocationUrl: row.revocationUrl!,
    tokenEndpointAuthMethod: effectiveAuthMethod(row.tokenEndpointAuthMethod ?? '', clientSecret),
    issParameterRequired: row.issParameterRequired ?? false,
    registration: row.registration ?? null,
  };
}

/**
 * Records a discovery on a server that is still `oauth2` and has the same URL as when the
 * discovery started. Members may trigger this for enabled servers: the values come from the
 * server's own metadata, not from the member.
 * @returns false when the server changed meanwhile and nothing was written.
 */
export async function saveOAuth2Discovery(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  id: string,
  discoveredFor: { url: string },
  discovery: OAuth2Discovery,
): Promise<boolean> {
  const encryptor = discovery.clientSecret ? await keyring.encryptor(db) : undefined;
  const secret =
    discovery.clientSecret === undefined
      ? {}
      : discovery.clientSecret === null
        ? { oauth2ClientSecret: null, oauth2ClientSecretKeyId: null }
        : {
            oauth2ClientSecret: await encryptor!.encrypt(secretColumns.oauth2ClientSecret, id, discovery.clientSecret),
            oauth2ClientSecretKeyId: encryptor!.keyId,
          };
  const visible = isPrivileged(actor) ? undefined : eq(t.enabled, true);
  const updated = await db
    .update(t)
    .set({
      ...oauth2DiscoveryValues(discovery),
      ...secret,
      updatedAt: sql`now()`,
    })
    .where(and(eq(t.id, id), eq(t.authType, 'oauth2'), eq(t.url, discoveredFor.url), visible))
    .returning({ id: t.id });
  return updated.length > 0;
}

/** The plain column values of a discovery, for an insert or an update. */
export function oauth2DiscoveryValues(discovery: OAuth2Discovery) {
  return {
    oauth2ClientId: discovery.clientId,
    oauth2AuthUrl: discovery.authUrl,
    oauth2TokenUrl: discovery.tokenUrl,
    oauth2Issuer: discovery.issuer,
    oauth2Resource: discovery.resource,
    oauth2RevocationUrl: discovery.revocationUrl,
    oauth2TokenEndpointAuthMethod: discovery.tokenEndpointAuthMethod,
    oauth2IssParameterRequired: discovery.issParameterRequired,
    oauth2Registration: discovery.registration,
    ...(discovery.scopes ? { oauth2Scopes: discovery.scopes } : {}),
  };
}

function effectiveAuthMethod(stored: string, clientSecret: string | undefined): TokenEndpointAuthMethod {
  if (stored === 'client_secret_basic' || stored === 'client_secret_post' || stored === 'none') return stored;
  // A hand-written configuration names no method: RFC 8414 section 2 makes basic the default.
  return clientSecret ? 'client_secret_basic' : 'none';
}
