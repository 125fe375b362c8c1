/**
 * Every encrypted column, with the column that records its data key. The associated data of
 * each ciphertext names table, column and row, so a value copied elsewhere fails to decrypt.
 */
export const secretColumns = {
  oauth2ClientSecret: { table: 'mcp_server_configs', column: 'oauth2_client_secret', keyIdColumn: 'oauth2_client_secret_key_id' },
  apiKeyValue: { table: 'mcp_server_configs', column: 'api_key_value', keyIdColumn: 'api_key_value_key_id' },
  customHeaders: { table: 'mcp_server_configs', column: 'custom_headers', keyIdColumn: 'custom_headers_key_id' },
  accessToken: { table: 'mcp_server_user_tokens', column: 'access_token', keyIdColumn: 'access_token_key_id' },
  refreshToken: { table: 'mcp_server_user_tokens', column: 'refresh_token', keyIdColumn: 'refresh_token_key_id' },
} as const;

export type SecretColumn = (typeof secretColumns)[keyof typeof secretColumns];
