/**
 * Key providers wrap and unwrap data keys; they never see a secret value. The local
 * provider wraps with a root key held in a file, for laptops and tests. AWS KMS implements
 * the same interface for production.
 */
import { type AesKey, fromBase64Url, importAesKey, open, seal, sha256Hex, toBase64Url, utf8 } from './aead.js';

/** Bound into every wrap as associated data or KMS encryption context. */
export interface DataKeyContext {
  keyNumber: number;
}

export interface GeneratedDataKey {
  plaintext: Uint8Array;
  /** The wrapped key, as stored in `dbcrypt_keys.encrypted_data_key`. */
  wrapped: string;
}

export interface KeyProvider {
  /** Identifies the key that wraps new data keys; stored in `dbcrypt_keys.kms_key_id`. */
  readonly wrappingKeyId: string;
  generateDataKey(context: DataKeyContext): Promise<GeneratedDataKey>;
  /**
   * @throws KeyProviderError when the wrapping key is not this provider's, or the wrapped
   * key does not unwrap under `context`.
   */
  decryptDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<Uint8Array>;
}

/** A failure to reach or use the key provider. `code` is safe to log; it never holds key material. */
export class KeyProviderError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'KeyProviderError';
  }
}

const localPrefix = 'local:';
const serviceName = 'switchboard';

/** Wraps data keys with a 256-bit root key under AES-256-GCM. */
export class LocalKeyProvider implements KeyProvider {
  private constructor(
    private readonly rootKey: AesKey,
    readonly wrappingKeyId: string,
  ) {}

  /** @throws Error when `rootKey` is not 32 bytes. */
  static async create(rootKey: Uint8Array): Promise<LocalKeyProvider> {
    // The id names the root key by a digest, so a wrong key file is reported as such.
    const id = `${localPrefix}${await sha256Hex(rootKey, 8)}`;
    return new LocalKeyProvider(await importAesKey(rootKey), id);
  }

  async generateDataKey(context: DataKeyContext): Promise<GeneratedDataKey> {
    const plaintext = crypto.getRandomValues(new Uint8Array(32));
    const wrapped = toBase64Url(await seal(this.rootKey, plaintext, wrapContext(context)));
    return { plaintext, wrapped };
  }

  async decryptDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<Uint8Array> {
    if (wrappingKeyId !== this.wrappingKeyId) {
      throw new KeyProviderError(
        `Data key ${context.keyNumber} is wrapped by ${wrappingKeyId}, but the configured root key is ${this.wrappingKeyId}.`,
        'wrong_root_key',
        false,
      );
    }
    try {
      return await open(this.rootKey, fromBase64Url(wrapped), wrapContext(context));
    } catch {
      throw new KeyProviderError(
        `Data key ${context.keyNumber} does not unwrap under ${this.wrappingKeyId}.`,
        'unwrap_failed',
        false,
      );
    }
  }
}

function wrapContext(context: DataKeyContext): Uint8Array {
  return utf8(JSON.stringify({ service: serviceName, key_number: String(context.keyNumber) }));
}
