/**
 * Keys derived from OAUTH_STATE_SECRET with HKDF-SHA-256 (RFC 5869), one per purpose, so a
 * connect ticket can never be replayed as a state cookie or the other way round.
 */
export type KeyPurpose = 'connect-ticket-hs256' | 'state-cookie-hs256' | 'state-cookie-a256gcm';

const cache = new WeakMap<Uint8Array, Map<KeyPurpose, Promise<Uint8Array>>>();

/** Returns the 32-byte key for `purpose`, derived once per secret and purpose. */
export function deriveKey(secret: Uint8Array, purpose: KeyPurpose): Promise<Uint8Array> {
  let keys = cache.get(secret);
  if (!keys) {
    keys = new Map();
    cache.set(secret, keys);
  }
  let key = keys.get(purpose);
  if (!key) {
    key = hkdf(secret, purpose);
    keys.set(purpose, key);
  }
  return key;
}

async function hkdf(secret: Uint8Array, purpose: KeyPurpose): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new TextEncoder().encode('switchboard/oauth2'),
      info: new TextEncoder().encode(purpose),
    },
    material,
    256,
  );
  return new Uint8Array(bits);
}
