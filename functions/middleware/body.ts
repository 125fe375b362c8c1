/**
 * Request body guards for the JSON API: a 64 KiB cap and a JSON media type on every request
 * that carries a body, both rejected in the error shape before any handler parses anything.
 * A POST without a body, such as a refresh, needs no media type.
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
      // The same media types Hono's JSON validator accepts: application/json and application/*+json.
      if (!/^application\/(?:[a-z.-]+\+)?json\s*(?:;|$)/i.test(type)) {
        throw new ApiError(415, 'unsupported_media_type', 'The request body must be JSON.', 'Send Content-Type: application/json.');
      }
    }
    await next();
  });
}

/**
 * RFC 9112 section 6.3: a request has a body only when it carries `Transfer-Encoding` or a
 * non-zero `Content-Length`. The stream object is no guide, because the Node adapter gives
 * every POST one.
 */
function hasBody(request: Request): boolean {
  if (request.headers.has('Transfer-Encoding')) return true;
  const length = request.headers.get('Content-Length');
  return length !== null && length.trim() !== '0';
}
