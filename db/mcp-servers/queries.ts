/**
 * Authorised data access for MCP server configurations. Every function takes the actor and
 * checks it first. Members only ever receive the redacted view of enabled servers. No
 * function here returns a secret or a ciphertext.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { assertPrivileged, isPrivileged, type Actor } from '../actor.js';
import { noRequest, writeAuditEntry, type AuditContext } from '../audit/entries.js';
import { secretColumns, type Encryptor, type Keyring } from '../crypto/index.js';
import type { Database } from '../database.js';
import { ConflictError, NotFoundError, ValidationError, constraintViolationOf } from '../errors.js';
import { chats, mcpServerConfigs, mcpServerUserTokens } from '../schema.js';
import { oauth2DiscoveryValues, type OAuth2Discovery } from '../oauth/settings.js';
import { upsertUser } from '../users.js';
import { serverDiff } from './audit.js';
import { authTypeFields, checkAuthRules, type MergedConfig } from './rules.js';
import {
  defaultSettings,
  type McpServerConfigView,
  type McpServerCreate,
  type McpServerPatch,
  type McpServerSecrets,
  type McpServerSettings,
} from './types.js';

const t = mcpServerConfigs;

/** Lists the configurations the actor may see, ordered by slug: all for admins, enabled ones for members. */
export async function listMcpServerConfigs(db: Database, actor: Actor): Promise<McpServerConfigView[]> {
  const rows = await db
    .select(viewColumns(actor))
    .from(t)
    .where(isPrivileged(actor) ? undefined : eq(t.enabled, true))
    .orderBy(asc(t.slug));
  return rows.map((row) => toView(row, actor));
}

/** @throws NotFoundError when the id is unknown, or disabled and the actor is a member. */
export async function getMcpServerConfig(db: Database, actor: Actor, id: string): Promise<McpServerConfigView> {
  const [row] = await db
    .select(viewColumns(actor))
    .from(t)
    .where(isPrivileged(actor) ? eq(t.id, id) : and(eq(t.id, id), eq(t.enabled, true)));
  if (!row) throw new NotFoundError('MCP server');
  return toView(row, actor);
}

/**
 * Applies the defaults to a new configuration and checks the per-auth-type rules. Callers run
 * it before any outbound step such as OAuth discovery, so invalid input is rejected first.
 * @throws ValidationError listing every violation.
 */
export function checkCreateRules(input: McpServerCreate): McpServerSettings {
  const settings: McpServerSettings = { ...defaultSettings, ...definedSettings(input) } as McpServerSettings;
  const violations = checkAuthRules(input, {
    ...settings,
    hasOauth2ClientSecret: typeof input.oauth2ClientSecret === 'string',
    hasApiKeyValue: typeof input.apiKeyValue === 'string',
    customHeaderCount: Object.keys(input.customHeaders ?? {}).length,
  });
  if (violations.length > 0) throw new ValidationError(violations);
  return settings;
}

/**
 * Creates a configuration with its secrets encrypted. `options.id` fixes the row id, which
 * OAuth discovery needs before the row exists because the redirect URI contains it.
 * `options.discovery` stores what discovery found, client secret included.
 * @throws AccessDeniedError for members.
 * @throws ValidationError when the per-auth-type rules fail.
 * @throws ConflictError when the slug is taken.
 */
export async function createMcpServerConfig(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  input: McpServerCreate,
  options: { id?: string; discovery?: OAuth2Discovery; audit?: AuditContext } = {},
): Promise<McpServerConfigView> {
  assertPrivileged(actor);
  const { discovery } = options;
  if (discovery) {
    input = {
      ...input,
      oauth2ClientId: discovery.clientId,
      oauth2AuthUrl: discovery.authUrl,
      oauth2TokenUrl: discovery.tokenUrl,
      ...(discovery.scopes ? { oauth2Scopes: discovery.scopes } : {}),
      ...(discovery.clientSecret ? { oauth2ClientSecret: discovery.clientSecret } : {}),
    };
  }

  const settings = checkCreateRules(input);

  // The id is made here so the ciphertexts can be bound to their row before it exists.
  const id = options.id ?? crypto.randomUUID();
  const userId = actor.kind === 'user' ? actor.userId : null;

  const row = await withDataKey(db, keyring, hasSecrets(input), (encryptor) =>
    db.transaction(async (tx) => {
      if (!encryptor) {
        // The first secret ever needs a data key; make sure this create can succeed first.
        const [taken] = await tx.select({ id: t.id }).from(t).where(eq(t.slug, settings.slug));
        if (taken) throw slugConflict();
        throw new DataKeyRequired();
      }
      const secrets = await encryptSecrets(encryptor, id, input);
      if (actor.kind === 'user') await upsertUser(tx, actor);
      const [inserted] = await tx
        .insert(t)
        .values({
          id,
          ...settings,
          ...(discovery ? oauth2DiscoveryValues(discovery) : {}),
          ...secrets,
          createdBy: userId,
          updatedBy: userId,
        })
        .returning(viewColumns(actor));
      await writeAuditEntry(
        tx,
        actor,
        { action: 'mcp_server.create', resourceType: 'mcp_server', resourceId: id, diff: serverDiff(null, inserted!, input) },
        options.audit ?? noRequest,
      );
      return inserted!;
    }),
  );
  return toView(row, actor);
}

/**
 * Applies the fields present in `patch`. Changing `auth_type` clears the settings and
 * secrets of the old type. Users' tokens are deleted when the server leaves `oauth2` or its
 * URL, client id or OAuth endpoints change.
 * @throws AccessDeniedError for members.
 * @throws NotFoundError when the id is unknown.
 * @throws ValidationError when the merged configuration breaks a rule.
 * @throws ConflictError when the new slug is taken.
 */
export async function updateMcpServerConfig(
  db: Database,
  keyring: Keyring,
  actor: Actor,
  id: string,
  patch: McpServerPatch,
  options: { audit?: AuditContext } = {},
): Promise<McpServerConfigView> {
  assertPrivileged(actor);
  const row = await withDataKey(db, keyring, hasSecrets(patch), (encryptor) =>
    db.transaction(async (tx) => {
      const [current] = await tx
        .select({ ...settingsColumns, ...presenceColumns, wasDiscovered: sql<boolean>`${t.oauth2Registration} IS NOT NULL` })
        .from(t)
        .where(eq(t.id, id))
        .for('update');
      if (!current) throw new NotFoundError('MCP server');

      const leavingAuthType = patch.authType !== undefined && patch.authType !== current.authType;
      // A discovered client belongs to the authorization server of the old URL; clearing it
      // makes the next connect discover and register again.
      const movingDiscovered =
        !leavingAuthType &&
        current.wasDiscovered &&
        patch.url !== undefined &&
        patch.url !== current.url &&
        patch.oauth2ClientId === undefined &&
        patch.oauth2AuthUrl === undefined &&
        patch.oauth2TokenUrl === undefined;
      const cleared = leavingAuthType || movingDiscovered ? clearedFields(current.authType, movingDiscovered) : {};
      const forgetOAuth2 = (leavingAuthType && current.authType === 'oauth2') || movingDiscovered;
      const { hasOauth2Secret, hasApiKey, hasCustomHeaders, wasDiscovered: _wasDiscovered, ...currentSettings } = current;
      const settings = { ...currentSettings, ...cleared, ...definedSettings(patch) } as McpServerSettings;
      const merged: MergedConfig = {
        ...settings,
        hasOauth2ClientSecret: present(patch.oauth2ClientSecret, 'oauth2ClientSecret' in cleared ? false : hasOauth2Secret),
        hasApiKeyValue: present(patch.apiKeyValue, 'apiKeyValue' in cleared ? false : hasApiKey),
        customHeaderCount:
          patch.customHeaders !== undefined
            ? Object.keys(patch.customHeaders ?? {}).length
            : 'customHeaders' in cleared || !hasCustomHeaders
              ? 0
              : 1,
      };
      const violations = checkAuthRules(patch, merged);
      if (violations.length > 0) throw new ValidationError(violations);
      if (!encryptor) throw new DataKeyRequired();
      const secrets = await encryptSecrets(encryptor, id, patch);

      if (actor.kind === 'user') await upsertUser(tx, actor);
      const [updated] = await tx
        .update(t)
        .set({
          ...cleared,
          ...(forgetOAuth2 ? discoveryReset : {}),
          ...definedSettings(patch),
          ...secrets,
          updatedAt: sql`now()`,
          updatedBy: actor.kind === 'user' ? actor.userId : null,
        })
        .where(eq(t.id, id))
        .returning(viewColumns(actor));
      const diff = serverDiff({ ...currentSettings, hasOauth2Secret, hasApiKey, hasCustomHeaders }, updated!, patch);
      if (forgetOAuth2 || (current.authType === 'oauth2' && tokenAudienceChanged(currentSettings, patch))) {
        const tokens = await tx
          .delete(mcpServerUserTokens)
          .where(eq(mcpServerUserTokens.mcpServerConfigId, id))
          .returning({ id: mcpServerUserTokens.id });
        if (tokens.length > 0) diff.user_tokens_deleted = tokens.length;
      }
      await writeAuditEntry(tx, actor, { action: 'mcp_server.update', resourceType: 'mcp_server', resourceId: id, diff }, options.audit ?? noRequest);
      return updated!;
    }),
  );
  return toView(row, actor);
}

/**
 * Deletes a configuration; tokens cascade, and every chat drops the id from its selection
 * in the same transaction.
 * @throws AccessDeniedError for members.
 * @throws NotFoundError when the id is unknown.
 */
export async function deleteMcpServerConfig(
  db: Database,
  actor: Actor,
  id: string,
  options: { audit?: AuditContext } = {},
): Promise<void> {
  assertPrivileged(actor);
  await db.transaction(async (tx) => {
    const [deleted] = await tx.delete(t).where(eq(t.id, id)).returning({ ...settingsColumns, ...presenceColumns });
    if (!deleted) throw new NotFoundError('MCP server');
    if (actor.kind === 'user') await upsertUser(tx, actor);
    await writeAuditEntry(
      tx,
      actor,
      { action: 'mcp_server.delete', resourceType: 'mcp_server', resourceId: id, diff: serverDiff(deleted, null) },
      options.audit ?? noRequest,
    );
    await tx
      .update(chats)
      .set({ mcpServerIds: sql`array_remove(${chats.mcpServerIds}, ${id}::uuid)` })
      .where(sql`${chats.mcpServerIds} @> ARRAY[${id}::uuid]`);
  });
}

const settingsColumns = {
  displayName: t.displayName,
  slug: t.slug,
  description: t.description,
  iconUrl: t.iconUrl,
  transport: t.transport,
  url: t.url,
  authType: t.authType,
  oauth2ClientId: t.oauth2ClientId,
  oauth2AuthUrl: t.oauth2AuthUrl,
  oauth2TokenUrl: t.oauth2TokenUrl,
  oauth2Scopes: t.oauth2Scopes,
  apiKeyHeader: t.apiKeyHeader,
  toolAllowList: t.toolAllowList,
  toolDenyList: t.toolDenyList,
  availability: t.availability,
  enabled: t.enabled,
};

/** Whether each secret is set, read without selecting the ciphertexts. */
const presenceColumns = {
  hasOauth2Secret: sql<boolean>`${t.oauth2ClientSecret} IS NOT NULL`,
  hasApiKey: sql<boolean>`${t.apiKeyValue} IS NOT NULL`,
  hasCustomHeaders: sql<boolean>`${t.customHeaders} IS NOT NULL`,
};

function viewColumns(actor: Actor) {
  return {
    id: t.id,
    ...settingsColumns,
    ...presenceColumns,
    authConnected: authConnected(actor),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/**
 * True for servers without per-user auth. For `oauth2`, true when the caller has a token
 * that has not expired, or one that has a refresh token and no recorded refresh failure.
 * The refresh itself happens when the token is used (`getUsableAccessToken`), so listing
 * stays one query.
 */
function authConnected(actor: Actor): SQL<boolean> {
  if (actor.kind !== 'user') return sql<boolean>`${t.authType} <> 'oauth2'`;
  // Qualified by hand: drizzle prints bare column names in a one-table select, and a bare
  // "id" inside the subquery would mean the token's id.
  return sql<boolean>`(${t.authType} <> 'oauth2' OR EXISTS (
    SELECT 1 FROM ${mcpServerUserTokens} AS user_token
    WHERE user_token.mcp_server_config_id = ${t}."id" AND user_token.user_id = ${actor.userId}
      AND (user_token.expiry IS NULL OR user_token.expiry > now()
        OR (user_token.refresh_token IS NOT NULL AND user_token.refresh_failure_reason IS NULL))))`;
}

interface ViewRow extends McpServerSettings {
  id: string;
  hasOauth2Secret: boolean;
  hasApiKey: boolean;
  hasCustomHeaders: boolean;
  authConnected: boolean;
  createdAt: Date;
  updatedAt: Date;
}

function toView(row: ViewRow, actor: Actor): McpServerConfigView {
  const view: McpServerConfigView = {
    id: row.id,
    display_name: row.displayName,
    slug: row.slug,
    description: row.description,
    icon_url: row.iconUrl,
    transport: row.transport,
    url: row.url,
    auth_type: row.authType,
    oauth2_client_id: row.oauth2ClientId,
    has_oauth2_secret: row.hasOauth2Secret,
    oauth2_auth_url: row.oauth2AuthUrl,
    oauth2_token_url: row.oauth2TokenUrl,
    oauth2_scopes: row.oauth2Scopes,
    api_key_header: row.apiKeyHeader,
    has_api_key: row.hasApiKey,
    has_custom_headers: row.hasCustomHeaders,
    tool_allow_list: row.toolAllowList ?? [],
    tool_deny_list: row.toolDenyList ?? [],
    availability: row.availability,
    enabled: row.enabled,
    auth_connected: row.authConnected,
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
  if (isPrivileged(actor)) return view;
  // Members learn what a server is and whether they are connected, not how it is reached.
  return {
    ...view,
    transport: '',
    url: '',
    oauth2_client_id: '',
    oauth2_auth_url: '',
    oauth2_token_url: '',
    oauth2_scopes: '',
    api_key_header: '',
  };
}

/**
 * True when a patch points an OAuth server at another resource, client or provider. Tokens
 * issued for the old ones must not be sent to the new, so they are deleted.
 */
function tokenAudienceChanged(current: McpServerSettings, patch: McpServerPatch): boolean {
  const fields = ['url', 'oauth2ClientId', 'oauth2AuthUrl', 'oauth2TokenUrl'] as const;
  return fields.some((field) => patch[field] !== undefined && patch[field] !== current[field]);
}

/** Drops undefined entries and the secret fields, leaving the settings to write. */
function definedSettings(input: McpServerPatch): Partial<McpServerSettings> {
  const { oauth2ClientSecret: _secret, apiKeyValue: _apiKey, customHeaders: _headers, ...settings } = input;
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** The discovery columns of an `oauth2` server, reset when it stops being one or moves. */
const discoveryReset = {
  oauth2Issuer: '',
  oauth2Resource: '',
  oauth2RevocationUrl: '',
  oauth2TokenEndpointAuthMethod: '',
  oauth2IssParameterRequired: false,
  oauth2Registration: null,
} as const;

/**
 * Returns the column values that reset the settings and secrets an auth type owns. With
 * `clientOnly`, only the OAuth client and endpoints are reset and the scopes stay.
 */
function clearedFields(authType: McpServerSettings['authType'], clientOnly = false): Record<string, unknown> {
  const cleared: Record<string, unknown> = {};
  for (const field of authTypeFields[authType]) {
    if (clientOnly && field === 'oauth2Scopes') continue;
    switch (field) {
      case 'oauth2ClientSecret':
        Object.assign(cleared, { oauth2ClientSecret: null, oauth2ClientSecretKeyId: null });
        break;
      case 'apiKeyValue':
        Object.assign(cleared, { apiKeyValue: null, apiKeyValueKeyId: null });
        break;
      case 'customHeaders':
        Object.assign(cleared, { customHeaders: null, customHeadersKeyId: null });
        break;
      case 'apiKeyHeader':
        cleared.apiKeyHeader = defaultSettings.apiKeyHeader;
        break;
      default:
        cleared[field] = '';
    }
  }
  return cleared;
}

function present(update: string | null | undefined, current: boolean): boolean {
  return update === undefined ? current : update !== null;
}

function hasSecrets(input: McpServerSecrets): boolean {
  return [input.oauth2ClientSecret, input.apiKeyValue, input.customHeaders].some((v) => v !== undefined && v !== null);
}

/** The secret inputs with the columns that store them and their key ids. */
const secretTargets = [
  { input: 'oauth2ClientSecret', column: secretColumns.oauth2ClientSecret, keyIdField: 'oauth2ClientSecretKeyId' },
  { input: 'apiKeyValue', column: secretColumns.apiKeyValue, keyIdField: 'apiKeyValueKeyId' },
  { input: 'customHeaders', column: secretColumns.customHeaders, keyIdField: 'customHeadersKeyId' },
] as const;

/** Encrypts each secret present into its column values; `null` clears value and key id. */
async function encryptSecrets(
  encryptor: Encryptor | undefined,
  rowId: string,
  input: McpServerSecrets,
): Promise<Record<string, string | null>> {
  const values: Record<string, string | null> = {};
  for (const { input: field, column, keyIdField } of secretTargets) {
    const secret = input[field];
    if (secret === undefined) continue;
    if (secret === null) {
      values[field] = null;
      values[keyIdField] = null;
      continue;
    }
    if (!encryptor) throw new Error('An encryptor is required to store a secret.');
    const plaintext = typeof secret === 'string' ? secret : JSON.stringify(secret);
    values[field] = await encryptor.encrypt(column, rowId, plaintext);
    values[keyIdField] = encryptor.keyId;
  }
  return values;
}

/** Thrown inside a write that needs the first data key, after its checks have passed. */
class DataKeyRequired extends Error {}

/**
 * Runs a write with an encryptor for the newest data key. When secrets must be stored and no
 * data key exists yet, the write runs its checks first and throws `DataKeyRequired`; only then
 * is the first key created and the write run again, so a rejected request creates no key.
 * A slug's unique violation becomes a 409.
 */
async function withDataKey<T>(
  db: Database,
  keyring: Keyring,
  needsKey: boolean,
  write: (encryptor: Encryptor | undefined) => Promise<T>,
): Promise<T> {
  const encryptor = needsKey ? await keyring.existingEncryptor(db) : undefined;
  const attempt = (current: Encryptor | undefined) =>
    write(needsKey ? current : noSecretsEncryptor).catch((error: unknown) => {
      const violation = constraintViolationOf(error);
      if (violation?.kind === 'unique' && violation.constraint === 'mcp_server_configs_slug_unique') throw slugConflict();
      throw error;
    });
  try {
    return await attempt(encryptor);
  } catch (error) {
    if (!(error instanceof DataKeyRequired)) throw error;
    return attempt(await keyring.encryptor(db));
  }
}

/** Encryptor placeholder for a write that stores no secret, so the write never needs a data key. */
const noSecretsEncryptor: Encryptor = {
  keyId: '',
  encrypt: () => Promise.reject(new Error('This write stores no secret.')),
};

function slugConflict(): ConflictError {
  return new ConflictError('An MCP server with this slug already exists.', {
    field: 'slug',
    detail: 'Slugs are unique; choose another.',
  });
}
