/**
 * Errors the data layer raises for the caller's mistakes, each with a stable code that the
 * HTTP layer maps to a status. Anything else that escapes the data layer is our fault and
 * becomes a 500 without details.
 */

/** One invalid field, named as the API names it. */
export interface FieldViolation {
  field: string;
  detail: string;
}

export class AccessDeniedError extends Error {
  readonly code = 'forbidden';
  constructor(message = 'This action requires the admin role.') {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

export class NotFoundError extends Error {
  readonly code = 'not_found';
  constructor(readonly resource: string) {
    super(`${resource} not found.`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly violation: FieldViolation,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class ValidationError extends Error {
  readonly code = 'validation_failed';
  constructor(readonly violations: FieldViolation[]) {
    super('Validation failed.');
    this.name = 'ValidationError';
  }
}

/** The SQLSTATE classes the data layer reacts to; see PostgreSQL's "Error Codes" appendix. */
export type ConstraintKind = 'unique' | 'foreign_key' | 'check' | 'not_null';

export interface ConstraintViolation {
  kind: ConstraintKind;
  constraint: string;
}

const constraintKinds: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

/**
 * Finds the constraint a driver error names. drizzle wraps the driver's error in `cause`;
 * only its SQLSTATE and constraint name are read, never its message, which can carry
 * bound parameters.
 */
export function constraintViolationOf(error: unknown): ConstraintViolation | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, constraint } = current as { code?: unknown; constraint?: unknown };
    if (typeof code === 'string' && code in constraintKinds) {
      return { kind: constraintKinds[code]!, constraint: typeof constraint === 'string' ? constraint : '' };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Returns the SQLSTATE of a driver error, or undefined, for logs that must not carry the message. */
export function sqlStateOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
