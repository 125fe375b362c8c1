/** Shapes of MCP server configurations as the data layer takes and returns them. */

export const transports = ['streamable_http', 'sse'] as const;
export const authTypes = ['none', 'oauth2', 'api_key', 'custom_headers'] as const;
export const availabilities = ['force_on', 'default_on', 'default_off'] as const;

export type Transport = (typeof transports)[number];
export type AuthType = (typeof authTypes)[number];
export type Availability = (typeof availabilities)[number];

/** Plain (non-secret) settings, already trimmed and normalised by the caller. */
export interface McpServerSettings {
  displayName: string;
  slug: string;
  description: string;
  iconUrl: string;
  transport: Transport;
  url: string;
  authType: AuthType;
  oauth2ClientId: string;
  oauth2AuthUrl: string;
  oauth2TokenUrl: string;
  oauth2Scopes: string;
  apiKeyHeader: string;
  toolAllowList: string[];
  toolDenyList: string[];
  availability: Availability;
  enabled: boolean;
}

/** Secrets accepted on write. `null` removes a stored secret; absent leaves it as it is. */
export interface McpServerSecrets {
  oauth2ClientSecret?: string | null;
  apiKeyValue?: string | null;
  customHeaders?: Record<string, string> | null;
}

/** A new configuration: name, slug and URL are required, the rest takes `defaultSettings`. */
export type McpServerCreate = Pick<McpServerSettings, 'displayName' | 'slug' | 'url'> &
  Partial<McpServerSettings> &
  McpServerSecrets;
export type McpServerPatch = Partial<McpServerSettings> & McpServerSecrets;

export const defaultSettings = {
  description: '',
  iconUrl: '',
  transport: 'streamable_http',
  authType: 'none',
  oauth2ClientId: '',
  oauth2AuthUrl: '',
  oauth2TokenUrl: '',
  oauth2Scopes: '',
  apiKeyHeader: 'Authorization',
  toolAllowList: [],
  toolDenyList: [],
  availability: 'default_off',
  enabled: false,
} as const satisfies Omit<McpServerSettings, 'displayName' | 'slug' | 'url'>;

/** A configuration as the API returns it; members get the redacted form. Secrets appear only as `has_*`. */
export interface McpServerConfigView {
  id: string;
  display_name: string;
  slug: string;
  description: string;
  icon_url: string;
  transport: Transport | '';
  url: string;
  auth_type: AuthType;
  oauth2_client_id: string;
  has_oauth2_secret: boolean;
  oauth2_auth_url: string;
  oauth2_token_url: string;
  oauth2_scopes: string;
  api_key_header: string;
  has_api_key: boolean;
  has_custom_headers: boolean;
  tool_allow_list: string[];
  tool_deny_list: string[];
  availability: Availability;
  enabled: boolean;
  auth_connected: boolean;
  created_at: string;
  updated_at: string;
}

/** The API name of each setting, for validation messages. */
export const apiFieldNames: Record<keyof McpServerSettings | keyof McpServerSecrets, string> = {
  displayName: 'display_name',
  slug: 'slug',
  description: 'description',
  iconUrl: 'icon_url',
  transport: 'transport',
  url: 'url',
  authType: 'auth_type',
  oauth2ClientId: 'oauth2_client_id',
  oauth2AuthUrl: 'oauth2_auth_url',
  oauth2TokenUrl: 'oauth2_token_url',
  oauth2Scopes: 'oauth2_scopes',
  apiKeyHeader: 'api_key_header',
  toolAllowList: 'tool_allow_list',
  toolDenyList: 'tool_deny_list',
  availability: 'availability',
  enabled: 'enabled',
  oauth2ClientSecret: 'oauth2_client_secret',
  apiKeyValue: 'api_key_value',
  customHeaders: 'custom_headers',
};
