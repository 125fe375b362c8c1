/**
 * Request body guards for the JSON API: a 64 KiB cap and a JSON media type on every request
 * that carries a body, both answered in the error shape before any handler parses anything.
 */
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

export const maxBodyBytes = 64 * 1024;

export const limitBody = () =>
  bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', 'The request body is too large.', `Send at most ${maxBodyBytes} bytes.`);
    },
  });

export function requireJsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    // A POST without a body, such as `…/oauth2/connect`, has no media type to check.
    if (['POST', 'PUT', 'PATCH'].includes(c.req.method) && hasBody(c.req.raw)) {
      const type = c.req.header('Content-Type') ?? '';
      if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
        throw new ApiError(415, 'unsupported_media_type', 'The request body must be JSON.', 'Send Content-Type: application/json.');
      }
    }
    await next();
  });
}

function hasBody(request: Request): boolean {
  const length = request.headers.get('Content-Length');
  if (request.headers.has('Transfer-Encoding')) return true;
  if (length !== null) return length !== '0';
  return request.body !== null;
}
