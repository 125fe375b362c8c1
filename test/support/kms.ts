/** The KMS emulator with a key, and providers that reach it through the real SDK. */
import { KmsKeyProvider } from '../../db/crypto/kms-provider.js';
import { KmsEmulator } from './kms-emulator.js';

export interface TestKms {
  emulator: KmsEmulator;
  /** Alias of the key created at start. */
  keyId: string;
  /** A provider wrapping under `keyId`, or under another key of the emulator. */
  provider(keyId?: string): KmsKeyProvider;
  close(): Promise<void>;
}

export async function startTestKms(): Promise<TestKms> {
  const emulator = await KmsEmulator.start();
  emulator.createKey('switchboard');
  return {
    emulator,
    keyId: 'alias/switchboard',
    // One attempt and a short timeout, so failure tests see the first error without backoff.
    provider: (keyId = 'alias/switchboard') =>
      new KmsKeyProvider({
        keyId,
        region: 'us-east-1',
        endpoint: emulator.url,
        credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
        maxAttempts: 1,
        requestTimeoutMs: 500,
      }),
    close: () => emulator.close(),
  };
}
