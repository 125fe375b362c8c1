/**
 * The single error shape of the API and the mapping from thrown errors to it. Client
 * mistakes get a 4xx with a stable `code`; anything else is a 500 whose body says nothing
 * internal and whose cause goes to the log without messages that could carry SQL parameters.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { DecryptionError, KeyCheckError, KeyUnavailableError, secretColumns } from '../db/crypto/index.js';
import {
  AccessDeniedError,
  ConflictError,
  NotFoundError,
  ValidationError,
  constraintViolationOf,
  sqlStateOf,
  type FieldViolation,
} from '../db/errors.js';
import type { AppEnv } from './env.js';
import { OAuth2ConnectionRequiredError, OAuth2RefreshUnavailableError } from './oauth/access-token.js';

export interface ErrorBody {
  /** Stable, machine-readable: `validation_failed`, `not_found`, `conflict`, … */
  code: string;
  message: string;
  detail: string;
  validations: FieldViolation[];
}

/** An error that carries its own status and body. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly detail = '',
    readonly validations: FieldViolation[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function validationFailed(violations: FieldViolation[]): ApiError {
  return new ApiError(400, 'validation_failed', 'Validation failed.', 'Fix the listed fields and retry.', violations);
}

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  c.set('errorCode', error.code);
  const body: ErrorBody = {
    code: error.code,
    message: error.message,
    detail: error.detail,
    validations: error.validations,
  };
  return c.json(body, error.status, error.headers);
}

/** `app.onError`: maps every thrown error to the error shape. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  return errorResponse(c, toApiError(error, c));
}

function toApiError(error: Error, c: Context<AppEnv>): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ValidationError) return validationFailed(error.violations);
  if (error instanceof NotFoundError) {
    return new ApiError(404, 'not_found', error.message, 'Check the id; it may have been deleted.');
  }
  if (error instanceof AccessDeniedError) return new ApiError(403, 'forbidden', error.message);
  if (error instanceof ConflictError) return new ApiError(409, 'conflict', error.message, '', [error.violation]);
  if (error instanceof KeyUnavailableError) {
    c.var.runtime?.log.error('key_provider_unavailable', {
      request_id: c.var.requestId,
      provider_code: error.providerCode,
    });
    return new ApiError(503, 'key_unavailable', 'The encryption key service is unavailable.', 'Retry later.', [], {
      'Retry-After': '5',
    });
  }
  if (isRevokedKeyViolation(error)) {
    // The write named a data key that rotation revoked after this process cached the key
    // list. Nothing was written; the next attempt reads the list again and uses the new key.
    c.var.runtime?.keyring.forgetKeyList();
    c.var.runtime?.log.warn('data_key_revoked_during_write', { request_id: c.var.requestId });
    return new ApiError(503, 'key_rotated', 'The encryption key changed during the request.', 'Retry the request.', [], {
      'Retry-After': '1',
    });
  }
  if (error instanceof HTTPException) return fromHttpException(error);
  if (isDatabaseUnavailable(error)) {
    c.var.runtime?.log.error('database_unavailable', { request_id: c.var.requestId, sqlstate: sqlStateOf(error), error_code: networkCodeOf(error) });
    return new ApiError(503, 'database_unavailable', 'The database is unavailable.', 'Retry later.', [], { 'Retry-After': '2' });
  }
  if (error instanceof OAuth2ConnectionRequiredError) {
    return new ApiError(409, 'oauth2_connection_required', error.message, `Connect through POST …/oauth2/connect (reason: ${error.reason}).`);
  }
  if (error instanceof OAuth2RefreshUnavailableError) {
    return new ApiError(502, 'oauth2_refresh_failed', error.message, 'Retry later, or reconnect if it keeps failing.');
  }

  c.var.runtime?.log.error('unhandled_error', {
    request_id: c.var.requestId,
    error_name: error.name,
    sqlstate: sqlStateOf(error),
    // Messages of driver and crypto errors can carry parameters or ciphertext; others cannot.
    error_message:
      sqlStateOf(error) || error.name === 'DrizzleQueryError' || error instanceof DecryptionError || error instanceof KeyCheckError
        ? undefined
        : error.message,
  });
  return new ApiError(500, 'internal_error', 'Internal server error.', 'The error was logged; retry or report the request id.');
}

/**
 * True when the database cannot be reached or went away: SQLSTATE class 08 (connection
 * exception), 57P01 to 57P03 (shutdown, crash, cannot connect now), or a socket error.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state && (state.startsWith('08') || /^57P0[123]$/.test(state))) return true;
  if (networkCodeOf(error)) return true;
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (/Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function networkCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The foreign keys from each `*_key_id` column to `dbcrypt_keys(active_key_digest)`, named as
 * drizzle-kit names them and cut to PostgreSQL's 63-byte limit on identifiers.
 */
const keyIdForeignKeys = new Set(
  Object.values(secretColumns).map((c) => `${c.table}_${c.keyIdColumn}_dbcrypt_keys_active_key_digest_fk`.slice(0, 63)),
);

/** Reports whether one of `keyIdForeignKeys` rejected the write. */
function isRevokedKeyViolation(error: Error): boolean {
  const violation = constraintViolationOf(error);
  return violation?.kind === 'foreign_key' && keyIdForeignKeys.has(violation.constraint);
}

function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 400 && /JSON/i.test(error.message)) {
    return new ApiError(400, 'malformed_json', 'The request body is not valid JSON.', 'Send a JSON object.', [
      { field: 'body', detail: 'Not valid JSON.' },
    ]);
  }
  if (error.status === 415) {
    return new ApiError(415, 'unsupported_media_type', 'The request body must be JSON.', 'Send Content-Type: application/json.');
  }
  if (error.status === 413) {
    return new ApiError(413, 'payload_too_large', 'The request body is too large.', 'Send at most 64 KiB.');
  }
  const status = error.status as ContentfulStatusCode;
  return new ApiError(status, status >= 500 ? 'internal_error' : 'bad_request', status >= 500 ? 'Internal server error.' : 'Bad request.');
}

/** Turns zod issues into field violations, naming nested fields like `custom_headers.X-Team` or `tool_allow_list[3]`. */
export function violationsOf(error: ZodError, target: string): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        violations.push({ field: joinPath([...issue.path, key]), detail: 'Unknown field; remove it.' });
      }
      continue;
    }
    const path = joinPath(issue.path);
    violations.push({ field: path || target, detail: issue.message });
  }
  return violations;
}

function joinPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** `defaultHook` for every OpenAPIHono app: a failed schema becomes a 400 in the error shape. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context<AppEnv>,
): Response | undefined {
  if (result.success) return undefined;
  const target = result.target === 'json' ? 'body' : result.target;
  return errorResponse(c, validationFailed(violationsOf(result.error, target)));
}
