import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** The client registration a discovery made, kept so a later discovery at the same issuer reuses it. */
export interface OAuth2Registration {
  method: 'dynamic_registration' | 'client_id_metadata_document';
  issuer: string;
  registeredAt: string;
  /** RFC 7592 management URL, when the server returned one. */
  registrationClientUri?: string;
}

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  subject: text('subject').notNull().unique(),
  username: text('username').notNull(),
  email: text('email'),
  roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
  ...timestamps,
});

export const dbcryptKeys = pgTable(
  'dbcrypt_keys',
  {
    number: integer('number').primaryKey(),
    activeKeyDigest: text('active_key_digest').unique(),
    revokedKeyDigest: text('revoked_key_digest').unique(),
    encryptedDataKey: text('encrypted_data_key').notNull(),
    kmsKeyId: text('kms_key_id').notNull(),
    test: text('test').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    check('dbcrypt_keys_number_positive', sql`${t.number} > 0`),
    check(
      'dbcrypt_keys_one_digest',
      sql`(${t.activeKeyDigest} IS NULL) <> (${t.revokedKeyDigest} IS NULL)`,
    ),
    check('dbcrypt_keys_revoked_at', sql`(${t.revokedKeyDigest} IS NULL) = (${t.revokedAt} IS NULL)`),
  ],
);

/**
 * Named leases for jobs that must not overlap, such as key rotation. A holder owns a lease
 * until `expires_at`; a crashed holder's lease lapses on its own.
 */
export const dbcryptLeases = pgTable('dbcrypt_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  acquiredAt: timestamp('acquired_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** A column that names the data key of its sibling ciphertext column. */
const keyId = (name: string) =>
  text(name).references(() => dbcryptKeys.activeKeyDigest, { onDelete: 'restrict', onUpdate: 'restrict' });

export const mcpServerConfigs = pgTable(
  'mcp_server_configs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    displayName: text('display_name').notNull(),
    slug: text('slug').notNull().unique(),
    description: text('description').notNull().default(''),
    iconUrl: text('icon_url').notNull().default(''),
    transport: text('transport', { enum: ['streamable_http', 'sse'] }).notNull().default('streamable_http'),
    url: text('url').notNull(),
    authType: text('auth_type', { enum: ['none', 'oauth2', 'api_key', 'custom_headers'] })
      .notNull()
      .default('none'),
    oauth2ClientId: text('oauth2_client_id').notNull().default(''),
    oauth2ClientSecret: text('oauth2_client_secret'),
    oauth2ClientSecretKeyId: keyId('oauth2_client_secret_key_id'),
    oauth2AuthUrl: text('oauth2_auth_url').notNull().default(''),
    oauth2TokenUrl: text('oauth2_token_url').notNull().default(''),
    oauth2Scopes: text('oauth2_scopes').notNull().default(''),
    // Filled by discovery (RFC 9728, RFC 8414) or left empty for a configuration the admin
    // wrote by hand. The issuer is what the `iss` authorization response parameter must match.
    oauth2Issuer: text('oauth2_issuer').notNull().default(''),
    oauth2Resource: text('oauth2_resource').notNull().default(''),
    oauth2RevocationUrl: text('oauth2_revocation_url').notNull().default(''),
    /** `client_secret_basic`, `client_secret_post` or `none`; empty means basic with a secret, none without. */
    oauth2TokenEndpointAuthMethod: text('oauth2_token_endpoint_auth_method').notNull().default(''),
    /** RFC 9207: the issuer promised to send `iss`, so a response without it is rejected. */
    oauth2IssParameterRequired: boolean('oauth2_iss_parameter_required').notNull().default(false),
    /** How the client was registered and at which issuer; JSON without secrets. */
    oauth2Registration: jsonb('oauth2_registration').$type<OAuth2Registration>(),
    apiKeyHeader: text('api_key_header').notNull().default('Authorization'),
    apiKeyValue: text('api_key_value'),
    apiKeyValueKeyId: keyId('api_key_value_key_id'),
    // Encrypted JSON object of header name to value; see db/crypto.
    customHeaders: text('custom_headers'),
    customHeadersKeyId: keyId('custom_headers_key_id'),
    toolAllowList: text('tool_allow_list').array().notNull().default(sql`'{}'::text[]`),
    toolDenyList: text('tool_deny_list').array().notNull().default(sql`'{}'::text[]`),
    availability: text('availability', { enum: ['force_on', 'default_on', 'default_off'] })
      .notNull()
      .default('default_off'),
    enabled: boolean('enabled').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [
    check('mcp_server_configs_transport', sql`${t.transport} IN ('streamable_http', 'sse')`),
    check(
      'mcp_server_configs_auth_type',
      sql`${t.authType} IN ('none', 'oauth2', 'api_key', 'custom_headers')`,
    ),
    check(
      'mcp_server_configs_availability',
      sql`${t.availability} IN ('force_on', 'default_on', 'default_off')`,
    ),
    check(
      'mcp_server_configs_oauth2_token_endpoint_auth_method',
      sql`${t.oauth2TokenEndpointAuthMethod} IN ('', 'client_secret_basic', 'client_secret_post', 'none')`,
    ),
    check('mcp_server_configs_slug_format', sql`${t.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`),
    // A ciphertext is useless without the key that made it, and a key id without a value is a lie.
    check(
      'mcp_server_configs_oauth2_client_secret_key',
      sql`(${t.oauth2ClientSecret} IS NULL) = (${t.oauth2ClientSecretKeyId} IS NULL)`,
    ),
    check('mcp_server_configs_api_key_value_key', sql`(${t.apiKeyValue} IS NULL) = (${t.apiKeyValueKeyId} IS NULL)`),
    check(
      'mcp_server_configs_custom_headers_key',
      sql`(${t.customHeaders} IS NULL) = (${t.customHeadersKeyId} IS NULL)`,
    ),
    index('mcp_server_configs_enabled_idx').on(t.slug).where(sql`${t.enabled}`),
    index('mcp_server_configs_force_on_idx')
      .on(t.slug)
      .where(sql`${t.enabled} AND ${t.availability} = 'force_on'`),
  ],
);

export const mcpServerUserTokens = pgTable(
  'mcp_server_user_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    mcpServerConfigId: uuid('mcp_server_config_id')
      .notNull()
      .references(() => mcpServerConfigs.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token').notNull(),
    accessTokenKeyId: keyId('access_token_key_id').notNull(),
    refreshToken: text('refresh_token'),
    refreshTokenKeyId: keyId('refresh_token_key_id'),
    tokenType: text('token_type').notNull().default('Bearer'),
    expiry: timestamp('expiry', { withTimezone: true }),
    refreshFailureReason: text('refresh_failure_reason'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('mcp_server_user_tokens_config_user_idx').on(t.mcpServerConfigId, t.userId),
    index('mcp_server_user_tokens_user_idx').on(t.userId),
    check(
      'mcp_server_user_tokens_refresh_token_key',
      sql`(${t.refreshToken} IS NULL) = (${t.refreshTokenKeyId} IS NULL)`,
    ),
  ],
);

/**
 * The tools a server listed, when, and with what outcome. `user_id` is null for the shared
 * snapshot of a server whose tools do not depend on the caller. Per-user OAuth servers get
 * one row per user, because each user's token may see different tools.
 */
export const mcpServerToolSnapshots = pgTable(
  'mcp_server_tool_snapshots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    mcpServerConfigId: uuid('mcp_server_config_id')
      .notNull()
      .references(() => mcpServerConfigs.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    outcome: text('outcome', { enum: ['ok', 'failed'] }).notNull(),
    // Stable code of the failure, such as `timeout` or `too_many_tools`; null when the outcome is `ok`.
    errorCode: text('error_code'),
    // Text written by Switchboard, never text the server sent.
    errorDetail: text('error_detail'),
    tools: jsonb('tools').notNull().default(sql`'[]'::jsonb`),
    fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // PostgreSQL 15 and later: one shared row (null user) per server, not many.
    unique('mcp_server_tool_snapshots_config_user_key').on(t.mcpServerConfigId, t.userId).nullsNotDistinct(),
    index('mcp_server_tool_snapshots_user_idx').on(t.userId),
    check('mcp_server_tool_snapshots_outcome', sql`${t.outcome} IN ('ok', 'failed')`),
    check('mcp_server_tool_snapshots_error_code', sql`(${t.outcome} = 'ok') = (${t.errorCode} IS NULL)`),
  ],
);

/**
 * OAuth `state` values already redeemed at the callback, as SHA-256 hex, so a replayed
 * callback is rejected. Rows expire with the state cookie and are purged on later callbacks.
 */
export const oauth2UsedStates = pgTable(
  'oauth2_used_states',
  {
    stateHash: text('state_hash').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('oauth2_used_states_expires_idx').on(t.expiresAt)],
);

export const chats = pgTable(
  'chats',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    mcpServerIds: uuid('mcp_server_ids').array().notNull().default(sql`'{}'::uuid[]`),
    ...timestamps,
  },
  (t) => [
    index('chats_owner_idx').on(t.ownerId),
    // Lets deleting a server find the chats that chose it without a scan.
    index('chats_mcp_server_ids_idx').using('gin', t.mcpServerIds),
  ],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    chatId: uuid('chat_id')
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant', 'system', 'tool'] }).notNull(),
    content: text('content').notNull(),
    ...timestamps,
  },
  (t) => [
    index('chat_messages_chat_idx').on(t.chatId, t.createdAt),
    check('chat_messages_role', sql`${t.role} IN ('user', 'assistant', 'system', 'tool')`),
  ],
);

/**
 * Who changed what: one row per audited action, written in the transaction of the change
 * (a failed OAuth callback, which changes nothing, writes its row alone). `diff` never holds
 * a secret, ciphertext, token or key: secrets appear only as markers such as `"<changed>"`.
 * `actor_subject` keeps the token subject (or the system's purpose) so an entry still names
 * its actor after the user row is deleted and `actor_id` becomes null.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Millisecond precision, so the `time` a client sees in a page is exactly the one its cursor compares with.
    time: timestamp('time', { withTimezone: true }).notNull().default(sql`date_trunc('milliseconds', now())`),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    actorKind: text('actor_kind', { enum: ['user', 'system', 'anonymous'] }).notNull(),
    actorSubject: text('actor_subject').notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id'),
    requestId: text('request_id'),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    // Stable code of the failure, such as `oauth2_state_replayed`; null on success.
    failureCode: text('failure_code'),
    diff: jsonb('diff').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    check('audit_logs_actor_kind', sql`${t.actorKind} IN ('user', 'system', 'anonymous')`),
    check('audit_logs_outcome', sql`${t.outcome} IN ('success', 'failure')`),
    check('audit_logs_failure_code', sql`(${t.outcome} = 'success') = (${t.failureCode} IS NULL)`),
    // Newest first is the only order the API reads; each filter leads one index ending in the page order.
    index('audit_logs_time_idx').on(t.time.desc(), t.id.desc()),
    index('audit_logs_resource_idx').on(t.resourceType, t.resourceId, t.time.desc(), t.id.desc()),
    index('audit_logs_actor_idx').on(t.actorId, t.time.desc(), t.id.desc()),
    index('audit_logs_action_idx').on(t.action, t.time.desc(), t.id.desc()),
  ],
);

export type McpServerConfigRow = typeof mcpServerConfigs.$inferSelect;
export type McpServerToolSnapshotRow = typeof mcpServerToolSnapshots.$inferSelect;
export type DbcryptKeyRow = typeof dbcryptKeys.$inferSelect;
export type AuditLogRow = typeof auditLogs.$inferSelect;
