/**
 * Envelope encryption of every secret Switchboard stores.
 *
 * Key chain: a root key (AWS KMS in production, a local file on laptops and in tests) wraps
 * AES-256 data keys; data keys encrypt values. Wrapped data keys live in `dbcrypt_keys` with
 * the id of the key that wrapped them and a `test` canary sealed under the data key, so a
 * wrong root key is caught when the key is loaded rather than when a secret is read.
 *
 * Beside each ciphertext: its `*_key_id` column holds 128 bits of SHA-256 of the data key,
 * a foreign key to `dbcrypt_keys(active_key_digest)`, so the database refuses to revoke a
 * key that a row still uses. The value is `v1:` and base64url of a fresh 96-bit nonce, the
 * AES-GCM ciphertext and its tag. The associated data names table, column and row, so a
 * ciphertext copied to another row or column does not decrypt.
 *
 * Rotation adds a newer data key; new writes use the newest active key, and rows under older
 * keys are re-encrypted and the old keys revoked once unused (rotation.ts, under a lease in
 * `dbcrypt_leases`). Re-wrapping moves data keys to another KMS key without touching rows.
 *
 * Never logged or returned: plaintext values, ciphertexts, data keys (wrapped or not), the
 * root key. Errors name key numbers and digests only. With no key available a write fails
 * with `KeyUnavailableError` (503); nothing is ever stored in plaintext.
 */
export { secretColumns, type SecretColumn } from './columns.js';
export { KeyProviderError, LocalKeyProvider, type KeyProvider, type DataKeyContext } from './key-provider.js';
export { KmsKeyProvider, type KmsKeyProviderOptions } from './kms-provider.js';
export {
  DecryptionError,
  KeyCheckError,
  KeyUnavailableError,
  Keyring,
  formatVersion,
  type Encryptor,
  type KeyringOptions,
} from './keyring.js';
