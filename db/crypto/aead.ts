/**
 * AES-256-GCM through WebCrypto, so the same code runs in Node and in a Worker.
 * Every seal draws a fresh 96-bit nonce from `crypto.getRandomValues`; with random nonces
 * NIST SP 800-38D bounds one key to 2^32 messages, far above what one data key seals
 * before rotation replaces it.
 */

/** WebCrypto's key type, named without the DOM library so Node and Worker builds agree. */
export type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const nonceBytes = 12;
const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function importAesKey(raw: Uint8Array): Promise<AesKey> {
  if (raw.byteLength !== 32) throw new Error(`An AES-256 key has 32 bytes, not ${raw.byteLength}.`);
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Encrypts and returns nonce followed by ciphertext and the 128-bit tag. */
export async function seal(key: AesKey, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(nonceBytes));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, key, plaintext),
  );
  const out = new Uint8Array(nonceBytes + sealed.byteLength);
  out.set(nonce, 0);
  out.set(sealed, nonceBytes);
  return out;
}

/**
 * Reverses `seal`.
 * @throws DOMException (`OperationError`) when the key, the associated data or any byte is wrong.
 */
export async function open(key: AesKey, box: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  if (box.byteLength < nonceBytes + 16) throw new Error('Ciphertext is too short.');
  const nonce = box.subarray(0, nonceBytes);
  const sealed = box.subarray(nonceBytes);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, key, sealed));
}

/** Returns the first `bytes` bytes of SHA-256 as lower-case hex. */
export async function sha256Hex(data: Uint8Array, bytes = 32): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest.subarray(0, bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @throws Error when the text is not base64url. */
export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('Not base64url.');
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
