/**
 * Audit diffs of MCP server configurations. Plain settings appear as `{ old, new }` under
 * their API field names; the three secrets appear only as `<set>`, `<changed>` or
 * `<removed>`, computed from presence flags, so no secret or ciphertext reaches this code.
 */
import { secretMarker } from '../audit/entries.js';
import { defaultSettings, type McpServerSecrets, type McpServerSettings } from './types.js';

/** Whether each secret is stored, as `presenceColumns` reads it. */
export interface SecretPresence {
  hasOauth2Secret: boolean;
  hasApiKey: boolean;
  hasCustomHeaders: boolean;
}

const secretFields = [
  { input: 'oauth2ClientSecret', flag: 'hasOauth2Secret', name: 'oauth2_client_secret' },
  { input: 'apiKeyValue', flag: 'hasApiKey', name: 'api_key_value' },
  { input: 'customHeaders', flag: 'hasCustomHeaders', name: 'custom_headers' },
] as const;

const settingFields = ['displayName', 'slug', 'url', ...Object.keys(defaultSettings)] as (keyof McpServerSettings)[];

const noSecrets: SecretPresence = { hasOauth2Secret: false, hasApiKey: false, hasCustomHeaders: false };

/**
 * Returns the changed fields between two states of a server. `before` is null for a create
 * and `after` null for a delete. `written` holds the secrets the request sent, so a secret
 * replaced by a new value shows as `<changed>` even though its presence did not change.
 */
export function serverDiff(
  before: (McpServerSettings & SecretPresence) | null,
  after: (McpServerSettings & SecretPresence) | null,
  written: McpServerSecrets = {},
): Record<string, unknown> {
  const diff: Record<string, unknown> = {};
  for (const field of settingFields) {
    const oldValue = before ? before[field] : null;
    const newValue = after ? after[field] : null;
    if (JSON.stringify(oldValue) !== JSON.stringify(newValue)) diff[snakeCase(field)] = { old: oldValue, new: newValue };
  }

  for (const { input, flag, name } of secretFields) {
    const had = (before ?? noSecrets)[flag];
    const has = (after ?? noSecrets)[flag];
    const marker = written[input] !== undefined && has ? secretMarker(had, written[input]) : had && !has ? '<removed>' : undefined;
    if (marker) diff[name] = marker;
  }
  return diff;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
