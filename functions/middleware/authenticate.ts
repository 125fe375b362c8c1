/**
 * Bearer authentication (RFC 6750). A missing or invalid token gets 401 with
 * `WWW-Authenticate`; a valid token without the required role gets 403. The handler behind
 * it never runs for a rejected request.
 */
import { createMiddleware } from 'hono/factory';
import { adminRole, type UserActor } from '../../db/actor.js';
import { userIdForSubject } from '../../db/users.js';
import { InvalidTokenError } from '../auth/tokens.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

export interface AuthenticateOptions {
  /** A role the caller must hold; members need none. */
  role?: typeof adminRole;
}

const realm = 'Bearer realm="switchboard"';
/** RFC 6750 section 2.1: `b64token` after the scheme. */
const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function authenticate(options: AuthenticateOptions = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header) {
      throw new ApiError(401, 'unauthenticated', 'Authentication required.', 'Send Authorization: Bearer <token>.', [], {
        'WWW-Authenticate': realm,
      });
    }
    const token = bearerPattern.exec(header)?.[1];
    if (!token) throw invalidToken('The Authorization header is not a bearer token.', 'invalid_request');

    let actor: UserActor;
    try {
      const claims = await c.var.runtime.verifyToken(token);
      actor = {
        kind: 'user',
        userId: await userIdForSubject(claims.subject),
        subject: claims.subject,
        username: claims.username,
        email: claims.email,
        roles: claims.roles,
        isAdmin: claims.roles.includes(adminRole),
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.reason, 'invalid_token');
      throw error;
    }

    if (options.role && !actor.roles.includes(options.role)) {
      throw new ApiError(403, 'forbidden', `This action requires the ${options.role} role.`, '', [], {
        'WWW-Authenticate': `${realm}, error="insufficient_scope"`,
      });
    }
    c.set('actor', actor);
    await next();
  });
}

function invalidToken(description: string, error: 'invalid_token' | 'invalid_request'): ApiError {
  return new ApiError(401, 'unauthenticated', 'Authentication failed.', description, [], {
    'WWW-Authenticate': `${realm}, error="${error}", error_description="${description.replace(/"/g, "'")}"`,
  });
}
