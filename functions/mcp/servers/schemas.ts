/**
 * Request and response schemas of the MCP server endpoints. Strings are trimmed, lists are
 * de-duplicated and sorted, and every rule names the field it checks.
 */
import { z } from '@hono/zod-openapi';
import type { FieldViolation } from '../../../db/errors.js';
import {
  authTypes,
  availabilities,
  transports,
  type McpServerCreate,
  type McpServerPatch,
} from '../../../db/mcp-servers/types.js';

/** C0 and C1 controls, and the bidirectional overrides that can make text display as other text. */
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const controlCharactersExceptNewlines = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A UTF-16 surrogate without its pair; such a string cannot be stored as sent. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = [(value: string) => !loneSurrogate.test(value), { message: 'Contains an unpaired UTF-16 surrogate; send valid Unicode.' }] as const;
/** RFC 9110 section 5.6.2 `token`, the grammar of a header name. */
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab: what every HTTP stack accepts in a header value. */
const headerValuePattern = /^[\t\x20-\x7e]*$/;
/** RFC 6749 section 3.3 `scope-token`. */
const scopeTokenPattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** Headers the HTTP client or the MCP transport owns; setting them would break the connection. */
const reservedHeaders = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'expect',
]);
/** Names that JavaScript objects treat specially; a header map cannot hold them faithfully. */
const objectKeyNames = new Set(['__proto__', 'constructor', 'prototype']);

const maxListEntries = 500;
const maxCustomHeaders = 32;

const text = (max: number, options: { multiline?: boolean } = {}) =>
  z
    .string()
    .trim()
    .max(max, `Use at most ${max} characters.`)
    .refine(...wellFormed)
    .refine((value) => !(options.multiline ? controlCharactersExceptNewlines : controlCharacters).test(value), {
      message: 'Control characters are not allowed.',
    });

const secret = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'Must not be empty; send null to remove it.')
    .max(max, `Use at most ${max} characters.`)
    .regex(headerValuePattern, 'Use visible ASCII characters only.');

/** An absolute http(s) URL without credentials or fragment; whether plain http is allowed is deployment policy. */
const url = z
  .string()
  .trim()
  .max(2048, 'Use at most 2048 characters.')
  .refine(...wellFormed)
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const optionalUrl = z.union([z.literal(''), url]);

const slug = z
  .string()
  .trim()
  .min(1, 'Required.')
  .max(63, 'Use at most 63 characters.')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Use lower-case letters, digits and single hyphens, such as "linear" or "sentry-eu".');

const scopes = text(2000).superRefine((value, ctx) => {
  const bad = value.split(/\s+/).filter((scope) => scope && !scopeTokenPattern.test(scope));
  if (bad.length > 0) ctx.addIssue({ code: 'custom', message: 'Scopes are space-separated tokens without quotes or backslashes.' });
});

const headerName = z
  .string()
  .trim()
  .min(1, 'Required.')
  .max(256, 'Use at most 256 characters.')
  .regex(headerNamePattern, 'Not a valid HTTP header name.')
  .refine((name) => !reservedHeaders.has(name.toLowerCase()), { message: 'This header is set by Switchboard itself.' });

const customHeaders = z
  .unknown()
  .superRefine((value, ctx) => {
    if (!value || typeof value !== 'object') return;
    for (const name of Object.keys(value)) {
      if (objectKeyNames.has(name.trim())) ctx.addIssue({ code: 'custom', path: [name], message: 'This header name is not accepted.' });
    }
  })
  .pipe(z.record(z.string(), secret(8192)))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > maxCustomHeaders) {
      ctx.addIssue({ code: 'custom', message: `Use at most ${maxCustomHeaders} headers.` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const parsed = headerName.safeParse(name);
      if (!parsed.success) ctx.addIssue({ code: 'custom', path: [name], message: parsed.error.issues[0]!.message });
      if (seen.has(name.trim().toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'Header names are case-insensitive; this one repeats.' });
      }
      seen.add(name.trim().toLowerCase());
    }
  })
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.trim(), value])));

/** Exact tool names; the list is de-duplicated and sorted so equal lists compare equal. */
const toolList = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'Tool names must not be empty.')
      .max(128, 'Use at most 128 characters.')
      .regex(/^[^\s\u0000-\u001f\u007f-\u009f]+$/, 'Tool names have no spaces or control characters.')
      .refine(...wellFormed),
  )
  .max(maxListEntries, `Use at most ${maxListEntries} entries.`)
  .transform((names) => [...new Set(names)].sort());

const enumeration = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `Expected one of: ${values.join(', ')}.` });

const settingsShape = {
  display_name: text(100).pipe(z.string().min(1, 'Required.')),
  slug,
  description: text(2000, { multiline: true }),
  icon_url: optionalUrl,
  transport: enumeration(transports),
  url,
  auth_type: enumeration(authTypes),
  oauth2_client_id: text(512),
  oauth2_auth_url: optionalUrl,
  oauth2_token_url: optionalUrl,
  oauth2_scopes: scopes.transform((value) => [...new Set(value.split(/\s+/).filter(Boolean))].join(' ')),
  api_key_header: headerName,
  tool_allow_list: toolList,
  tool_deny_list: toolList,
  availability: enumeration(availabilities),
  enabled: z.boolean({ message: 'Expected true or false.' }),
};

const secretsShape = {
  oauth2_client_secret: secret(4096).nullable(),
  api_key_value: secret(8192).nullable(),
  custom_headers: customHeaders.nullable(),
};

const secretsSchema = z.object(secretsShape).partial();

export const McpServerCreateBody = z
  .object(settingsShape)
  .partial()
  .required({ display_name: true, slug: true, url: true })
  .extend(secretsSchema.shape)
  .strict()
  .openapi('McpServerCreate');

export const McpServerPatchBody = z
  .object(settingsShape)
  .partial()
  .extend(secretsSchema.shape)
  .strict()
  .openapi('McpServerPatch');

export const McpServerConfigSchema = z
  .object({
    id: z.string().uuid(),
    display_name: z.string(),
    slug: z.string(),
    description: z.string(),
    icon_url: z.string(),
    transport: z.enum([...transports, '']),
    url: z.string(),
    auth_type: z.enum(authTypes),
    oauth2_client_id: z.string(),
    has_oauth2_secret: z.boolean(),
    oauth2_auth_url: z.string(),
    oauth2_token_url: z.string(),
    oauth2_scopes: z.string(),
    api_key_header: z.string(),
    has_api_key: z.boolean(),
    has_custom_headers: z.boolean(),
    tool_allow_list: z.array(z.string()),
    tool_deny_list: z.array(z.string()),
    availability: z.enum(availabilities),
    enabled: z.boolean(),
    auth_connected: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('McpServerConfig');

export const ErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    detail: z.string(),
    validations: z.array(z.object({ field: z.string(), detail: z.string() })),
  })
  .openapi('Error');

export const IdParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'Expected a UUID.')
    .openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }),
});

export const errorResponses = {
  400: { description: 'Invalid id or body', content: { 'application/json': { schema: ErrorSchema } } },
  default: {
    description: 'Any other error: 413 and 415 for a body that is too large or not JSON, 503 with Retry-After when the key service is unavailable, 500',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  401: { description: 'Missing or invalid bearer token', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const adminErrorResponses = {
  ...errorResponses,
  403: { description: 'The caller is not an admin', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const notFoundResponse = {
  404: { description: 'Unknown id, or a disabled server asked for by a member', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

type CreateBody = z.infer<typeof McpServerCreateBody>;
type PatchBody = z.infer<typeof McpServerPatchBody>;

/** Maps an API body to the data layer's names; absent fields stay absent. */
export function toSettingsInput(body: PatchBody): McpServerPatch {
  const input: McpServerPatch = {
    displayName: body.display_name,
    slug: body.slug,
    description: body.description,
    iconUrl: body.icon_url,
    transport: body.transport,
    url: body.url,
    authType: body.auth_type,
    oauth2ClientId: body.oauth2_client_id,
    oauth2AuthUrl: body.oauth2_auth_url,
    oauth2TokenUrl: body.oauth2_token_url,
    oauth2Scopes: body.oauth2_scopes,
    apiKeyHeader: body.api_key_header,
    toolAllowList: body.tool_allow_list,
    toolDenyList: body.tool_deny_list,
    availability: body.availability,
    enabled: body.enabled,
    oauth2ClientSecret: body.oauth2_client_secret,
    apiKeyValue: body.api_key_value,
    customHeaders: body.custom_headers,
  };
  for (const key of Object.keys(input) as (keyof McpServerPatch)[]) {
    if (input[key] === undefined) delete input[key];
  }
  return input;
}

export function toCreateInput(body: CreateBody): McpServerCreate {
  return toSettingsInput(body) as McpServerCreate;
}

/**
 * Checks the deployment's URL policy: plain http only to loopback hosts, and only where the
 * deployment allows local targets.
 */
export function urlPolicyViolations(body: PatchBody, allowLocalTargets: boolean): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const field of ['url', 'icon_url', 'oauth2_auth_url', 'oauth2_token_url'] as const) {
    const value = body[field];
    if (!value || !value.startsWith('http:')) continue;
    const host = new URL(value).hostname;
    if (!allowLocalTargets || !isLoopbackHost(host)) {
      violations.push({
        field,
        detail: allowLocalTargets ? 'Use https; plain http is only allowed for loopback hosts.' : 'Use https.',
      });
    }
  }
  return violations;
}

function urlProblem(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return 'Expected an absolute URL such as https://mcp.example.com/mcp.';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'Use an https URL.';
  // The parser reports `https://@host/` and `https://host/#` as having no userinfo or fragment.
  if (parsed.username || parsed.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return 'Put credentials in the auth fields, not in the URL.';
  }
  if (parsed.hash || value.includes('#')) return 'Remove the #fragment.';
  if (controlCharacters.test(value) || /\s/.test(value)) return 'URLs must not contain spaces or control characters.';
  return undefined;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
