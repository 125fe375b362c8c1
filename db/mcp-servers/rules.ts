/**
 * Cross-field rules that hold for every stored configuration, checked on the merged result
 * of a create or a patch so both paths enforce the same thing.
 */
import type { FieldViolation } from '../errors.js';
import { apiFieldNames, type AuthType, type McpServerPatch, type McpServerSettings } from './types.js';

/** Settings and secrets each auth type owns; they are cleared when `auth_type` changes away. */
export const authTypeFields = {
  none: [],
  oauth2: ['oauth2ClientId', 'oauth2ClientSecret', 'oauth2AuthUrl', 'oauth2TokenUrl', 'oauth2Scopes'],
  api_key: ['apiKeyHeader', 'apiKeyValue'],
  custom_headers: ['customHeaders'],
} as const satisfies Record<AuthType, readonly (keyof McpServerPatch)[]>;

type OwnedField = (typeof authTypeFields)[AuthType][number];

/** The merged state the rules look at: settings plus whether each secret is present. */
export interface MergedConfig extends McpServerSettings {
  hasOauth2ClientSecret: boolean;
  hasApiKeyValue: boolean;
  customHeaderCount: number;
}

/**
 * Returns every violation: fields of another auth type sent in `input`, and the per-type
 * requirements on `merged`.
 */
export function checkAuthRules(input: McpServerPatch, merged: MergedConfig): FieldViolation[] {
  const violations: FieldViolation[] = [];

  for (const [authType, fields] of Object.entries(authTypeFields) as [AuthType, readonly OwnedField[]][]) {
    if (authType === merged.authType) continue;
    for (const field of fields) {
      if (input[field] === undefined || input[field] === null) continue;
      violations.push({
        field: apiFieldNames[field],
        detail: `Only accepted when auth_type is "${authType}"; auth_type is "${merged.authType}".`,
      });
    }
  }

  switch (merged.authType) {
    case 'api_key':
      if (!merged.apiKeyHeader) {
        violations.push({ field: 'api_key_header', detail: 'Required when auth_type is "api_key".' });
      }
      if (!merged.hasApiKeyValue) {
        violations.push({ field: 'api_key_value', detail: 'Required when auth_type is "api_key".' });
      }
      break;
    case 'custom_headers':
      if (merged.customHeaderCount === 0) {
        violations.push({
          field: 'custom_headers',
          detail: 'At least one header is required when auth_type is "custom_headers".',
        });
      }
      break;
    case 'oauth2': {
      // Either the admin names the client and both endpoints, or all three are left empty
      // and discovered from the server's metadata.
      const endpoints = [
        ['oauth2_client_id', merged.oauth2ClientId],
        ['oauth2_auth_url', merged.oauth2AuthUrl],
        ['oauth2_token_url', merged.oauth2TokenUrl],
      ] as const;
      const given = endpoints.filter(([, value]) => value !== '');
      if (given.length > 0 && given.length < endpoints.length) {
        for (const [field, value] of endpoints) {
          if (value === '') {
            violations.push({
              field,
              detail: 'Set oauth2_client_id, oauth2_auth_url and oauth2_token_url together, or leave all three empty for discovery.',
            });
          }
        }
      }
      if (given.length === 0 && merged.hasOauth2ClientSecret) {
        violations.push({
          field: 'oauth2_client_secret',
          detail: 'A client secret needs oauth2_client_id, oauth2_auth_url and oauth2_token_url.',
        });
      }
      break;
    }
    case 'none':
      break;
  }
  return violations;
}
