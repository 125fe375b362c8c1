import { describe, expect, it } from 'vitest';
import { isBlockedAddress, isBlockedName } from '../../functions/outbound/addresses.js';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '[::1]',
    '::',
    'fe80::1',
    'fd12:3456::1',
    '::ffff:10.0.0.1',
    '64:ff9b::127.0.0.1',
  ])('blocks %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', 'mcp.example.com'])('allows %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});

describe('isBlockedName', () => {
  it.each(['localhost', 'LOCALHOST.', 'api.localhost', 'metadata.google.internal'])('blocks %s', (name) => {
    expect(isBlockedName(name)).toBe(true);
  });

  it('allows public names', () => {
    expect(isBlockedName('mcp.linear.app')).toBe(false);
  });
});
