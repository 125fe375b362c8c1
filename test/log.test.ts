import { describe, expect, it } from 'vitest';
import { createLogger } from '../functions/log.js';

describe('createLogger', () => {
  it('writes one JSON object per line with level and event', () => {
    const lines: string[] = [];
    createLogger((line) => lines.push(line)).info('request', { request_id: 'r1', status: 200 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', event: 'request', request_id: 'r1', status: 200 });
  });

  it.each([
    'access_token',
    'refreshToken',
    'client_secret',
    'api_key',
    'apiKeyValue',
    'authorization',
    'cookie',
    'password',
    'ciphertext',
    'data_key',
    'private_key',
  ])('redacts a field named %s', (field) => {
    const lines: string[] = [];
    createLogger((line) => lines.push(line)).error('oops', { [field]: 'leak-me', nested: { [field]: 'leak-me-too' } });
    expect(lines[0]).not.toContain('leak-me');
    expect(JSON.parse(lines[0]!)[field]).toBe('[redacted]');
  });
});
