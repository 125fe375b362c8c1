import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyProviderError, type KeyProvider } from '../../db/crypto/index.js';
import { apiPrefix } from '../../functions/endpoints.js';
import { createTestApp, type TestApp } from '../support/harness.js';

/** Routes that describe the API or the service rather than being part of it. */
const undocumented = new Set([`${apiPrefix}/openapi.json`, `${apiPrefix}/docs`, '/healthz']);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('GET /api/experimental/openapi.json', () => {
  it('describes every composed route', async () => {
    const response = await t.request('GET', `${apiPrefix}/openapi.json`, { as: 'anonymous' });
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');

    const served = t.app.routes
      .filter((route) => route.method !== 'ALL' && !undocumented.has(route.path))
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThanOrEqual(5);
    for (const route of served) {
      const [method, path] = route.split(' ') as [string, string];
      expect(document.paths[path]?.[method], `${route} is missing from the document`).toBeDefined();
    }
  });
});

describe('GET /api/experimental/docs', () => {
  it('serves a self-contained page under a strict policy', async () => {
    const response = await t.request('GET', `${apiPrefix}/docs`, { as: 'anonymous' });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toContain('text/html');
    expect(response.headers.get('Content-Security-Policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const page = await response.text();
    expect(page).toContain('/api/experimental/mcp/servers/{id}');
    expect(page).not.toMatch(/<script|https?:\/\/(?!127)/);
  });
});

describe('GET /healthz', () => {
  it('answers ok without authentication or details', async () => {
    const response = await t.request('GET', '/healthz', { as: 'anonymous' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 503 without naming the cause when no key is available', async () => {
    const down = () => Promise.reject(new KeyProviderError('down', 'ServiceUnavailable', true));
    const failing: KeyProvider = {
      wrappingKeyId: 'local:broken',
      canUnwrap: () => true,
      generateDataKey: down,
      decryptDataKey: down,
      rewrapDataKey: down,
      wrapDataKey: down,
    };
    const broken = await createTestApp({ provider: failing });
    try {
      const response = await broken.request('GET', '/healthz', { as: 'anonymous' });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable' });
      expect(broken.logs.some((line) => line.includes('health_check_failed'))).toBe(true);
    } finally {
      await broken.close();
    }
  });
});

describe('unknown routes', () => {
  it('answer 404 in the error shape', async () => {
    const response = await t.request('GET', `${apiPrefix}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'route_not_found', validations: [] });
  });
});
