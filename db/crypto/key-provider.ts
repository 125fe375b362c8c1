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
  /** Whether `decryptDataKey` and `rewrapDataKey` accept a data key wrapped by `wrappingKeyId`. */
  canUnwrap(wrappingKeyId: string): boolean;
  /**
   * Re-wraps under `wrappingKeyId` of this provider a data key that this provider can unwrap
   * (see `canUnwrap`). KMS does it without the plaintext key leaving KMS.
   * @throws KeyProviderError as `decryptDataKey` does.
   */
  rewrapDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<string>;
  /** Wraps a plaintext data key unwrapped by another provider, to move it to this one. */
  wrapDataKey(plaintext: Uint8Array, context: DataKeyContext): Promise<string>;
}

/** A failure to reach or use the key provider. `code` is safe to log because it never contains key material. */
export class KeyProviderError extends Error {
  /** The data key the failed call was about, when there was one. */
  readonly keyNumber: number | undefined;

  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options: { cause?: unknown; keyNumber?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.keyNumber = options.keyNumber;
    this.name = 'KeyProviderError';
  }
}

const localPrefix = 'local:';
/** The `service` entry of every wrap context, local or KMS. */
export const serviceName = 'switchboard';

/** Whether a recorded wrapping key id names a local root key rather than a KMS key. */
export function isLocalWrappingKeyId(wrappingKeyId: string): boolean {
  return wrappingKeyId.startsWith(localPrefix);
}

/** The encryption context of a data key: the KMS form, and the associated data of a local wrap. */
export function encryptionContext(context: DataKeyContext): Record<string, string> {
  return { service: serviceName, key_number: String(context.keyNumber) };
}

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
    return { plaintext, wrapped: await this.wrapDataKey(plaintext, context) };
  }

  async wrapDataKey(plaintext: Uint8Array, context: DataKeyContext): Promise<string> {
    return toBase64Url(await seal(this.rootKey, plaintext, wrapContext(context)));
  }

  canUnwrap(wrappingKeyId: string): boolean {
    return wrappingKeyId === this.wrappingKeyId;
  }

  /** With one root key, re-wrapping only draws a fresh nonce. */
  async rewrapDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<string> {
    return this.wrapDataKey(await this.decryptDataKey(wrapped, wrappingKeyId, context), context);
  }

  async decryptDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<Uint8Array> {
    if (wrappingKeyId !== this.wrappingKeyId) {
      throw new KeyProviderError(
        `Data key ${context.keyNumber} is wrapped by ${wrappingKeyId}, but the configured root key is ${this.wrappingKeyId}.`,
        'wrong_root_key',
        false,
        { keyNumber: context.keyNumber },
      );
    }
    try {
      return await open(this.rootKey, fromBase64Url(wrapped), wrapContext(context));
    } catch {
      throw new KeyProviderError(
        `Data key ${context.keyNumber} does not unwrap under ${this.wrappingKeyId}.`,
        'unwrap_failed',
        false,
        { keyNumber: context.keyNumber },
      );
    }
  }
}

function wrapContext(context: DataKeyContext): Uint8Array {
  return utf8(JSON.stringify(encryptionContext(context)));
}
