/**
 * Chooses the key provider from the environment, in one place for the Node entry, the Worker
 * entry and the dbcrypt CLI. With KMS_KEY_ID set, data keys are wrapped by AWS KMS;
 * otherwise by a local root key (LOCAL_ROOT_KEY, or the caller's fallback such as the file
 * that `npm start` keeps under DATA_DIR).
 */
import { z } from 'zod';
import { fromBase64Url } from '../db/crypto/aead.js';
import { LocalKeyProvider, type KeyProvider } from '../db/crypto/key-provider.js';
import { KmsKeyProvider, type KmsKeyProviderOptions } from '../db/crypto/kms-provider.js';
import { defaultRotationDays } from '../db/crypto/rotation.js';
import { ConfigError } from './config.js';

const environmentSchema = z.object({
  KMS_KEY_ID: z.string().optional(),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  KMS_ENDPOINT: z.string().optional(),
  AWS_ENDPOINT_URL_KMS: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  LOCAL_ROOT_KEY: z.string().optional(),
  KEY_ROTATION_DAYS: z.string().optional(),
});

export interface KeyProviderSetup {
  /**
   * Passes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN to the SDK
   * explicitly. The Worker needs it because the SDK's fetch build has no credential chain;
   * Node leaves credentials to the chain (environment, shared files, SSO, instance roles).
   */
  credentialsFromEnvironment?: boolean;
  /** The local root key when LOCAL_ROOT_KEY is unset and KMS is not configured. */
  fallbackRootKey?: () => Promise<Uint8Array>;
}

/** Whether the environment selects AWS KMS. */
export function usesKms(environment: Record<string, unknown>): boolean {
  return typeof environment.KMS_KEY_ID === 'string' && environment.KMS_KEY_ID.trim() !== '';
}

/**
 * Builds the configured key provider.
 * @throws ConfigError naming the variable to fix.
 */
export async function createKeyProvider(environment: Record<string, unknown>, setup: KeyProviderSetup = {}): Promise<KeyProvider> {
  const env = parseEnvironment(environment);
  if (usesKms(env)) return new KmsKeyProvider(kmsOptions(env, setup));
  return createLocalKeyProvider(env, setup);
}

/** The local provider alone, for moving keys between it and KMS. */
export async function createLocalKeyProvider(environment: Record<string, unknown>, setup: KeyProviderSetup = {}): Promise<KeyProvider> {
  const env = parseEnvironment(environment);
  if (env.LOCAL_ROOT_KEY) {
    let rootKey: Uint8Array;
    try {
      rootKey = fromBase64Url(env.LOCAL_ROOT_KEY.trim());
    } catch {
      throw new ConfigError('LOCAL_ROOT_KEY must be base64url.');
    }
    if (rootKey.byteLength !== 32) throw new ConfigError('LOCAL_ROOT_KEY must hold 32 bytes in base64url.');
    return LocalKeyProvider.create(rootKey);
  }
  if (!setup.fallbackRootKey) throw new ConfigError('No key provider is configured: set KMS_KEY_ID and AWS_REGION, or LOCAL_ROOT_KEY.');
  return LocalKeyProvider.create(await setup.fallbackRootKey());
}

/** KMS with `keyId` instead of KMS_KEY_ID, for re-wrapping under another KMS key. */
export function createKmsKeyProvider(environment: Record<string, unknown>, keyId: string, setup: KeyProviderSetup = {}): KeyProvider {
  return new KmsKeyProvider(kmsOptions({ ...parseEnvironment(environment), KMS_KEY_ID: keyId }, setup));
}

/**
 * KEY_ROTATION_DAYS: the age in days after which scheduled rotation creates a new data key.
 * @throws ConfigError when it is not a positive number.
 */
export function rotationDaysFrom(environment: Record<string, unknown>): number {
  const raw = parseEnvironment(environment).KEY_ROTATION_DAYS;
  if (raw === undefined || raw.trim() === '') return defaultRotationDays;
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0) throw new ConfigError('KEY_ROTATION_DAYS must be a positive number of days.');
  return days;
}

type Environment = z.infer<typeof environmentSchema>;

function parseEnvironment(environment: Record<string, unknown>): Environment {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')} is invalid: ${issue.message}`);
  }
  return parsed.data;
}

function kmsOptions(env: Environment, setup: KeyProviderSetup): KmsKeyProviderOptions {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new ConfigError('KMS_KEY_ID needs AWS_REGION, the region of the KMS key.');
  const options: KmsKeyProviderOptions = { keyId: env.KMS_KEY_ID!.trim(), region };

  // The Node SDK reads AWS_ENDPOINT_URL_KMS itself; the fetch build used in a Worker does not.
  const endpoint = env.KMS_ENDPOINT || env.AWS_ENDPOINT_URL_KMS;
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new ConfigError('KMS_ENDPOINT must be an absolute URL.');
    }
    options.endpoint = endpoint;
  }

  if (setup.credentialsFromEnvironment) {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
      throw new ConfigError('KMS_KEY_ID needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in a Worker.');
    }
    options.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return options;
}
