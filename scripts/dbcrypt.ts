/**
 * `npm run dbcrypt -- <verb>`: the operator's key management commands, on DATABASE_URL or
 * the PGlite database under DATA_DIR, with the key provider that `npm start` would use.
 *
 *   status                       keys, their age and wrapping key, rows per key
 *   rotate [--force]             one rotation pass; --force makes a new data key now
 *   rewrap --to kms|local        moves every data key under KMS_KEY_ID (or --kms-key-id)
 *                                or under the local root key; rows are not touched
 *   delete-all --yes-delete-all-secrets
 *                                drops every stored secret and token and revokes every key
 *
 * Every verb can be run again after a crash; none writes a secret in plaintext.
 */
import { isNotNull } from 'drizzle-orm';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { KeyProviderError, Keyring, type KeyProvider } from '../db/crypto/index.js';
import { fromBase64Url } from '../db/crypto/aead.js';
import { isLocalWrappingKeyId } from '../db/crypto/key-provider.js';
import { acquireLease, releaseLease, rotationLeaseName } from '../db/crypto/lease.js';
import { systemActor } from '../db/actor.js';
import { noRequest, writeAuditEntry } from '../db/audit/entries.js';
import { deleteAllSecrets, readDbcryptStatus } from '../db/crypto/maintenance.js';
import { rewrapDataKeys, type RewrapResult } from '../db/crypto/rewrap.js';
import { rotateKeys, rotationLogFields } from '../db/crypto/rotation.js';
import type { Database, DatabaseHandle } from '../db/database.js';
import { dbcryptKeys } from '../db/schema.js';
import { migrateDatabase, openDatabase } from '../db/open.js';
import { ConfigError } from '../functions/config.js';
import { createKeyProvider, createKmsKeyProvider, createLocalKeyProvider, rotationDaysFrom, usesKms } from '../functions/key-provider-config.js';
import { dataDirFrom, readOrCreateKeyFile } from '../functions/local-files.js';
import { createLogger } from '../functions/log.js';
import { formatStatus, progressReporter } from './dbcrypt-output.js';

const usage = `Usage: npm run dbcrypt -- <verb> [options]
  status                                 list keys, their age and the rows under each
  rotate [--force] [--batch-size N] [--time-budget-seconds N]
                                         run one rotation pass (--force: new data key now)
  rewrap --to kms [--kms-key-id ID]      move every data key under a KMS key
  rewrap --to local                      move every data key under the local root key
  delete-all --yes-delete-all-secrets    drop every stored secret and token (a lost key's way out)`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    force: { type: 'boolean', default: false },
    'batch-size': { type: 'string' },
    'time-budget-seconds': { type: 'string' },
    to: { type: 'string' },
    'kms-key-id': { type: 'string' },
    'yes-delete-all-secrets': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

const env = process.env;
const dataDir = dataDirFrom(env);
const holder = `dbcrypt-cli-${crypto.randomUUID()}`;
const log = createLogger((line) => process.stderr.write(`${line}\n`));

async function main(): Promise<number> {
  const verb = positionals[0];
  if (values.help || !verb) {
    console.log(usage);
    return verb || values.help ? 0 : 2;
  }
  switch (verb) {
    case 'status':
      return withDatabase(async (handle) => {
        console.log(formatStatus(await readDbcryptStatus(handle.db)));
        return 0;
      });
    case 'rotate':
      return rotate();
    case 'rewrap':
      return rewrap();
    case 'delete-all':
      return deleteAll();
    default:
      console.error(`Unknown verb "${verb}".\n${usage}`);
      return 2;
  }
}

async function rotate(): Promise<number> {
  const batchSize = positiveInteger('batch-size', values['batch-size'], 500);
  const timeBudgetSeconds = positiveInteger('time-budget-seconds', values['time-budget-seconds'], 3600);
  const keyring = new Keyring(await configuredProvider());
  return withDatabase(async (handle) => {
    const progress = progressReporter(process.stdout);
    const report = await rotateKeys(handle.db, keyring, {
      force: values.force,
      rotationDays: rotationDaysFrom(env),
      batchSize,
      timeBudgetMs: timeBudgetSeconds * 1000,
      holder,
      rewrapSources: await otherProviders(handle.db, keyring.provider),
      onProgress: progress.update,
      actor: systemActor('cli'),
    });
    progress.finish();
    log.info('key_rotation', rotationLogFields(report));
    if (report.outcome === 'busy') {
      console.log('Another rotation has the lease, so nothing was done. Run "status" to see it.');
      return 0;
    }
    console.log(
      `Rotation ${report.outcome}: ${report.keysCreated} key(s) created, ${report.keysRewrapped} re-wrapped, ` +
        `${report.rowsReencrypted} row(s) re-encrypted, ${report.rowsLeft} left, ${report.keysRevoked} key(s) revoked.`,
    );
    if (report.keysPendingRevocation > 0) {
      console.log(`${report.keysPendingRevocation} older key(s) stay active until no row uses them and the newest key is past its grace period; rotate again later.`);
    }
    return 0;
  });
}

async function rewrap(): Promise<number> {
  if (values.to !== 'kms' && values.to !== 'local') {
    console.error(`rewrap needs --to kms or --to local.\n${usage}`);
    return 2;
  }
  let target: KeyProvider;
  if (values.to === 'kms') {
    const keyId = values['kms-key-id'] ?? env.KMS_KEY_ID;
    if (!keyId) throw new ConfigError('rewrap --to kms needs --kms-key-id or KMS_KEY_ID.');
    target = createKmsKeyProvider(env, keyId);
  } else {
    target = await createLocalKeyProvider(env, { fallbackRootKey: async () => (await readOrCreateKeyFile(dataDir, 'local-root-key')).key });
  }
  return withDatabase(async (handle) => {
    const lease = await acquireLease(handle.db, rotationLeaseName, holder, 10 * 60_000);
    if (!lease) {
      console.error('A rotation has the lease. Run rewrap again when it has finished.');
      return 1;
    }
    try {
      let result: RewrapResult;
      try {
        result = await rewrapDataKeys(handle.db, target, await otherProviders(handle.db, target));
      } catch (error) {
        const failureCode = error instanceof KeyProviderError ? error.code : 'rewrap_failed';
        await writeAuditEntry(handle.db, systemActor('cli'), { ...rewrapEntry(target), failureCode }, noRequest);
        throw error;
      }
      // Each key's update commits on its own, so the run is recorded once, after them.
      const diff = { wrapping_key_id: target.wrappingKeyId, keys_rewrapped: result.rewrapped, keys_unreachable: result.unreachable };
      await writeAuditEntry(handle.db, systemActor('cli'), { ...rewrapEntry(target), diff }, noRequest);
      console.log(`Re-wrapped ${result.rewrapped.length} data key(s) under ${target.wrappingKeyId}.`);
      if (result.unreachable.length > 0) {
        console.error(
          `Data key(s) ${result.unreachable.join(', ')} could not be unwrapped: configure the key that wraps them ` +
            '(KMS_KEY_ID and AWS_REGION, or LOCAL_ROOT_KEY or the root key file under DATA_DIR) and run rewrap again.',
        );
        return 1;
      }
      if (values.to === 'kms' && !usesKms(env)) console.log('Now set KMS_KEY_ID and AWS_REGION for the service and restart it.');
      if (values.to === 'local' && usesKms(env)) console.log('Now unset KMS_KEY_ID for the service and restart it.');
      return 0;
    } finally {
      await releaseLease(handle.db, lease);
    }
  });
}

function rewrapEntry(target: KeyProvider) {
  return { action: 'dbcrypt.rewrap', resourceType: 'dbcrypt_keys', resourceId: null, diff: { wrapping_key_id: target.wrappingKeyId } };
}

async function deleteAll(): Promise<number> {
  if (!values['yes-delete-all-secrets']) {
    console.error(
      'delete-all drops every stored MCP server secret and every user token, and revokes every data key.\n' +
        'Admins must enter the secrets again and users must reconnect. Repeat with --yes-delete-all-secrets to proceed.',
    );
    return 2;
  }
  return withDatabase(async (handle) => {
    const result = await deleteAllSecrets(handle.db, holder, { actor: systemActor('cli') });
    if (result.outcome === 'busy') {
      console.error('A rotation has the lease. Run delete-all again when it has finished.');
      return 1;
    }
    console.log(
      `Cleared the secrets of ${result.serverSecretsCleared} MCP server(s), deleted ${result.tokensDeleted} token(s), revoked ${result.keysRevoked} key(s).`,
    );
    return 0;
  });
}

/** Builds the provider `npm start` would use. It reads the local root key file but never creates it. */
function configuredProvider(): Promise<KeyProvider> {
  return createKeyProvider(env, { fallbackRootKey: () => existingRootKeyFile() });
}

/**
 * Builds the providers other than `target` that can unwrap keys moving to it: KMS, for the
 * KMS keys recorded in `dbcrypt_keys` when AWS_REGION is set, and the local root key.
 */
async function otherProviders(db: Database, target: KeyProvider): Promise<KeyProvider[]> {
  const sources: KeyProvider[] = [];
  if (env.AWS_REGION || env.AWS_DEFAULT_REGION) {
    const recorded = await db.selectDistinct({ id: dbcryptKeys.kmsKeyId }).from(dbcryptKeys).where(isNotNull(dbcryptKeys.activeKeyDigest));
    for (const { id } of recorded) {
      if (!isLocalWrappingKeyId(id) && !target.canUnwrap(id)) sources.push(createKmsKeyProvider(env, id));
    }
  }
  try {
    const local = await createLocalKeyProvider(env, { fallbackRootKey: () => existingRootKeyFile() });
    if (local.wrappingKeyId !== target.wrappingKeyId) sources.push(local);
  } catch {
    // No local root key exists, so no data key can be wrapped by one.
  }
  return sources;
}

async function existingRootKeyFile(): Promise<Uint8Array> {
  const path = join(dataDir, 'local-root-key');
  try {
    return fromBase64Url((await readFile(path, 'utf8')).trim());
  } catch {
    throw new ConfigError(`No key provider is configured: set KMS_KEY_ID and AWS_REGION, or LOCAL_ROOT_KEY, or run "npm start" once to create ${path}.`);
  }
}

async function withDatabase(run: (handle: DatabaseHandle) => Promise<number>): Promise<number> {
  if (!env.DATABASE_URL) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const handle = await openDatabase(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { pgliteDataDir: join(dataDir, 'pglite') });
  try {
    await migrateDatabase(handle);
    return await run(handle);
  } finally {
    await handle.close();
  }
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`--${name} must be a positive integer.`);
  return value;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const name = error instanceof Error ? error.name : 'Error';
    // Key, config and provider errors carry safe messages; a driver error's message may carry parameters.
    const safe = ['ConfigError', 'KeyCheckError', 'KeyUnavailableError', 'KeyProviderError'].includes(name);
    console.error(safe ? (error as Error).message : `dbcrypt failed with ${name}. Every step can be repeated: run the same command again.`);
    if (name === 'KeyUnavailableError') console.error('The key provider is unreachable; retry later.');
    process.exit(1);
  },
);
