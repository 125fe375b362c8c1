/**
 * AWS KMS as the key provider. Data keys come from `GenerateDataKey` (AES_256); stored ones
 * are unwrapped with `Decrypt` and moved between KMS keys with `ReEncrypt`, so the plaintext
 * key never leaves KMS on a re-wrap. Every call carries the encryption context
 * `{ service: "switchboard", key_number: "<n>" }`, which KMS binds to the ciphertext: a
 * wrapped key copied to another `dbcrypt_keys` row does not decrypt.
 *
 * The same code runs in Node (credentials from the standard chain: environment, shared
 * files, SSO, instance roles) and in a Worker (the SDK's fetch build, with credentials passed
 * explicitly because a Worker has no credential chain).
 */
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import { fromBase64Url, toBase64Url } from './aead.js';
import {
  KeyProviderError,
  encryptionContext,
  isLocalWrappingKeyId,
  type DataKeyContext,
  type GeneratedDataKey,
  type KeyProvider,
} from './key-provider.js';

export interface KmsKeyProviderOptions {
  /** Key id, key ARN, alias name (`alias/…`) or alias ARN of the KMS key that wraps new data keys. */
  keyId: string;
  region: string;
  /** Overrides the KMS endpoint, for the emulator. Node's SDK also reads AWS_ENDPOINT_URL_KMS. */
  endpoint?: string;
  /** Static credentials; without them the SDK's default credential chain applies (Node only). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per call, counting the first; the SDK backs off between them. Default 3. */
  maxAttempts?: number;
  /** Milliseconds before a call that has not answered fails as retryable. Default 5,000. */
  requestTimeoutMs?: number;
}

/** KMS error names that mean the key or the ciphertext is wrong, not that KMS is unreachable. */
const permanentErrors = new Set([
  'NotFoundException',
  'DisabledException',
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'AccessDeniedException',
  'KMSInvalidStateException',
  'InvalidKeyUsageException',
  'KeyUnavailableException',
  'InvalidGrantTokenException',
  'ValidationException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

export class KmsKeyProvider implements KeyProvider {
  /** The configured key id as given, so changing the setting is what triggers a re-wrap. */
  readonly wrappingKeyId: string;
  private readonly client: KMSClient;

  constructor(options: KmsKeyProviderOptions) {
    if (!options.keyId.trim()) throw new Error('The KMS key id is empty.');
    this.wrappingKeyId = options.keyId;
    const config: KMSClientConfig = {
      region: options.region,
      maxAttempts: options.maxAttempts ?? 3,
      // Without throwOnRequestTimeout Node's handler only warns and keeps waiting.
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 5_000, throwOnRequestTimeout: true },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new KMSClient(config);
  }

  async generateDataKey(context: DataKeyContext): Promise<GeneratedDataKey> {
    const output = await this.send(context, 'GenerateDataKey', () =>
      this.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.wrappingKeyId,
          KeySpec: 'AES_256',
          EncryptionContext: encryptionContext(context),
        }),
      ),
    );
    if (!output.Plaintext || output.Plaintext.byteLength !== 32 || !output.CiphertextBlob) {
      throw new KeyProviderError('KMS returned a malformed data key.', 'MalformedResponse', true, {
        keyNumber: context.keyNumber,
      });
    }
    return { plaintext: output.Plaintext, wrapped: toBase64Url(output.CiphertextBlob) };
  }

  async decryptDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<Uint8Array> {
    this.assertKmsKey(wrappingKeyId, context);
    const output = await this.send(context, 'Decrypt', () =>
      this.client.send(
        new DecryptCommand({
          KeyId: wrappingKeyId,
          CiphertextBlob: fromBase64Url(wrapped),
          EncryptionContext: encryptionContext(context),
        }),
      ),
    );
    if (!output.Plaintext || output.Plaintext.byteLength !== 32) {
      throw new KeyProviderError('KMS returned a malformed data key.', 'MalformedResponse', true, {
        keyNumber: context.keyNumber,
      });
    }
    return output.Plaintext;
  }

  canUnwrap(wrappingKeyId: string): boolean {
    return !isLocalWrappingKeyId(wrappingKeyId);
  }

  async rewrapDataKey(wrapped: string, wrappingKeyId: string, context: DataKeyContext): Promise<string> {
    this.assertKmsKey(wrappingKeyId, context);
    const output = await this.send(context, 'ReEncrypt', () =>
      this.client.send(
        new ReEncryptCommand({
          CiphertextBlob: fromBase64Url(wrapped),
          SourceKeyId: wrappingKeyId,
          SourceEncryptionContext: encryptionContext(context),
          DestinationKeyId: this.wrappingKeyId,
          DestinationEncryptionContext: encryptionContext(context),
        }),
      ),
    );
    if (!output.CiphertextBlob) {
      throw new KeyProviderError('KMS returned no ciphertext.', 'MalformedResponse', true, { keyNumber: context.keyNumber });
    }
    return toBase64Url(output.CiphertextBlob);
  }

  async wrapDataKey(plaintext: Uint8Array, context: DataKeyContext): Promise<string> {
    const output = await this.send(context, 'Encrypt', () =>
      this.client.send(
        new EncryptCommand({ KeyId: this.wrappingKeyId, Plaintext: plaintext, EncryptionContext: encryptionContext(context) }),
      ),
    );
    if (!output.CiphertextBlob) {
      throw new KeyProviderError('KMS returned no ciphertext.', 'MalformedResponse', true, { keyNumber: context.keyNumber });
    }
    return toBase64Url(output.CiphertextBlob);
  }

  private assertKmsKey(wrappingKeyId: string, context: DataKeyContext): void {
    if (this.canUnwrap(wrappingKeyId)) return;
    throw new KeyProviderError(
      `Data key ${context.keyNumber} is wrapped by the local root key ${wrappingKeyId}, but KMS is configured. ` +
        'Move it with "npm run dbcrypt -- rewrap" while the local root key is still available.',
      'wrong_root_key',
      false,
      { keyNumber: context.keyNumber },
    );
  }

  private async send<T>(context: DataKeyContext, operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toKeyProviderError(error, operation, context);
    }
  }
}

/**
 * Maps an SDK error to a `KeyProviderError` whose code is the AWS error name (or the
 * network error code), never its message, which may quote request values.
 */
export function toKeyProviderError(error: unknown, operation: string, context: DataKeyContext): KeyProviderError {
  const { name, code, $metadata, $fault } = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    $fault?: unknown;
  };
  const status = $metadata?.httpStatusCode;
  const rawCode = typeof code === 'string' && status === undefined ? code : name;
  const safeCode = typeof rawCode === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(rawCode) ? rawCode : 'KmsError';
  const permanent = permanentErrors.has(safeCode) || ($fault === 'client' && !/Throttl|LimitExceeded/.test(safeCode));
  const where = `KMS ${operation} for data key ${context.keyNumber}`;
  return new KeyProviderError(
    permanent ? `${where} failed with ${safeCode}.` : `${where} failed with ${safeCode}; retry later.`,
    safeCode,
    !permanent,
    { cause: error, keyNumber: context.keyNumber },
  );
}
