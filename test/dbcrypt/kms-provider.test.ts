import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyProviderError } from '../../db/crypto/index.js';
import { startTestKms, type TestKms } from '../support/kms.js';

let kms: TestKms;
beforeAll(async () => {
  kms = await startTestKms();
});
afterAll(() => kms.close());
beforeEach(() => {
  kms.emulator.clearFailures();
  kms.emulator.resetCalls();
});

async function providerError(call: Promise<unknown>): Promise<KeyProviderError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeyProviderError);
  return error as KeyProviderError;
}

describe('KmsKeyProvider', () => {
  it('generates an AES-256 data key and unwraps it', async () => {
    const provider = kms.provider();
    const generated = await provider.generateDataKey({ keyNumber: 1 });
    expect(generated.plaintext.byteLength).toBe(32);
    const unwrapped = await provider.decryptDataKey(generated.wrapped, kms.keyId, { keyNumber: 1 });
    expect(Buffer.from(unwrapped).equals(Buffer.from(generated.plaintext))).toBe(true);
    expect(kms.emulator.calls).toMatchObject({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('binds the key number through the encryption context', async () => {
    const provider = kms.provider();
    const generated = await provider.generateDataKey({ keyNumber: 1 });
    const error = await providerError(provider.decryptDataKey(generated.wrapped, kms.keyId, { keyNumber: 2 }));
    expect(error.code).toBe('InvalidCiphertextException');
    expect(error.retryable).toBe(false);
    expect(error.keyNumber).toBe(2);
  });

  it('re-wraps under another key with ReEncrypt alone', async () => {
    const next = kms.emulator.createKey();
    const generated = await kms.provider().generateDataKey({ keyNumber: 3 });
    kms.emulator.resetCalls();

    const target = kms.provider(next.keyId);
    const rewrapped = await target.rewrapDataKey(generated.wrapped, kms.keyId, { keyNumber: 3 });

    expect(kms.emulator.calls).toMatchObject({ ReEncrypt: 1, Decrypt: 0, GenerateDataKey: 0 });
    const unwrapped = await target.decryptDataKey(rewrapped, next.keyId, { keyNumber: 3 });
    expect(Buffer.from(unwrapped).equals(Buffer.from(generated.plaintext))).toBe(true);
  });

  it('wraps a plaintext key moved from another provider', async () => {
    const plaintext = crypto.getRandomValues(new Uint8Array(32));
    const wrapped = await kms.provider().wrapDataKey(plaintext, { keyNumber: 4 });
    const unwrapped = await kms.provider().decryptDataKey(wrapped, kms.keyId, { keyNumber: 4 });
    expect(Buffer.from(unwrapped).equals(Buffer.from(plaintext))).toBe(true);
    expect(kms.emulator.calls.Encrypt).toBe(1);
  });

  it('refuses a key wrapped by a local root key', async () => {
    const error = await providerError(kms.provider().decryptDataKey('AAAA', 'local:0011223344556677', { keyNumber: 1 }));
    expect(error.code).toBe('wrong_root_key');
    expect(error.message).toContain('rewrap');
    expect(kms.emulator.totalCalls()).toBe(0);
  });

  it.each([
    { name: 'ThrottlingException', status: 400, retryable: true },
    { name: 'KMSInternalException', status: 500, retryable: true },
    { name: 'DependencyTimeoutException', status: 503, retryable: true },
    { name: 'NotFoundException', status: 400, retryable: false },
    { name: 'DisabledException', status: 400, retryable: false },
    { name: 'AccessDeniedException', status: 400, retryable: false },
    { name: 'InvalidCiphertextException', status: 400, retryable: false },
  ])('maps $name to a safe code, retryable: $retryable', async ({ name, status, retryable }) => {
    kms.emulator.fail({ name, status });
    const error = await providerError(kms.provider().generateDataKey({ keyNumber: 7 }));
    expect(error.code).toBe(name);
    expect(error.retryable).toBe(retryable);
    expect(error.keyNumber).toBe(7);
    expect(error.message).not.toContain('Injected');
  });

  it('maps an unknown key id to NotFoundException', async () => {
    const error = await providerError(kms.provider('alias/missing').generateDataKey({ keyNumber: 1 }));
    expect(error.code).toBe('NotFoundException');
    expect(error.retryable).toBe(false);
  });

  it('times out a stalled call as retryable', async () => {
    const release = kms.emulator.stall();
    try {
      const error = await providerError(kms.provider().generateDataKey({ keyNumber: 1 }));
      expect(error.retryable).toBe(true);
    } finally {
      release();
    }
  });

  it('maps a refused connection as retryable', async () => {
    const { KmsKeyProvider } = await import('../../db/crypto/kms-provider.js');
    const closed = await (await import('../support/kms-emulator.js')).KmsEmulator.start();
    const url = closed.url;
    await closed.close();
    const provider = new KmsKeyProvider({
      keyId: kms.keyId,
      region: 'us-east-1',
      endpoint: url,
      credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
      maxAttempts: 1,
    });
    const error = await providerError(provider.generateDataKey({ keyNumber: 1 }));
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.retryable).toBe(true);
  });
});

describe('KMS emulator', () => {
  it('rejects a call without the encryption context', async () => {
    const { KMSClient, GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({
      region: 'us-east-1',
      endpoint: kms.emulator.url,
      credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
      maxAttempts: 1,
    });
    await expect(client.send(new GenerateDataKeyCommand({ KeyId: kms.keyId, KeySpec: 'AES_256' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});
