/**
 * The keyring loads the data keys recorded in `dbcrypt_keys` and unwraps them through the key
 * provider. It checks each one against its `test` canary and caches the plaintext keys for a
 * bounded time, so the warm path makes no provider call.
 */
import { desc, isNotNull } from 'drizzle-orm';
import type { Database } from '../database.js';
import { dbcryptKeys } from '../schema.js';
import { type AesKey, fromBase64Url, importAesKey, open, seal, sha256Hex, toBase64Url, utf8 } from './aead.js';
import type { SecretColumn } from './columns.js';
import { KeyProviderError, type KeyProvider } from './key-provider.js';

/** Prefix of every stored ciphertext. A new format gets a new prefix; old ones stay readable. */
export const formatVersion = 'v1';
const canaryText = 'switchboard dbcrypt canary';
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface KeyringOptions {
  /** How long unwrapped data keys stay cached before the table is read again. */
  cacheTtlMs?: number;
  /** How many data keys are cached at most; the oldest drop out first. */
  maxCachedKeys?: number;
  now?: () => number;
}

interface DataKey {
  number: number;
  digest: string;
  key: AesKey;
}

interface KeySet {
  /** Newest active key first. */
  keys: DataKey[];
  loadedAt: number;
}

/** The key provider cannot be reached, so requests that need a key fail with 503. */
export class KeyUnavailableError extends Error {
  readonly code = 'key_unavailable';
  constructor(
    message: string,
    readonly providerCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyUnavailableError';
  }
}

/** A stored data key is unknown to the provider, wrapped by another key, or fails its canary. */
export class KeyCheckError extends Error {
  readonly code = 'key_check_failed';
  constructor(
    message: string,
    readonly keyNumber: number,
  ) {
    super(message);
    this.name = 'KeyCheckError';
  }
}

/** A ciphertext that does not open: tampered, copied from another row, or under an unknown key. */
export class DecryptionError extends Error {
  readonly code = 'decryption_failed';
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Encrypts values under one data key; made before a transaction so the transaction never loads keys. */
export interface Encryptor {
  readonly keyId: string;
  encrypt(column: SecretColumn, rowId: string, plaintext: string): Promise<string>;
}

export class Keyring {
  private keySet: KeySet | undefined;
  /** Unwrapped data keys by digest; each is unwrapped again once `cacheTtlMs` has passed. */
  private readonly unwrapped = new Map<string, { key: DataKey; unwrappedAt: number }>();
  private loading: Promise<KeySet> | undefined;
  /** How long unwrapped keys and the list of active keys stay cached. */
  readonly cacheTtlMs: number;
  private readonly maxCachedKeys: number;
  private readonly now: () => number;

  constructor(
    /** The provider that wraps new data keys and unwraps stored ones. */
    readonly provider: KeyProvider,
    options: KeyringOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 10 * 60_000;
    this.maxCachedKeys = options.maxCachedKeys ?? 16;
    this.now = options.now ?? Date.now;
  }

  /**
   * Returns an encryptor bound to the newest active data key, creating key 1 on an empty
   * table. Call it outside a transaction: a key created inside one that rolls back would stay
   * cached without its row.
   * @throws KeyUnavailableError when the provider cannot be reached.
   * @throws KeyCheckError when a stored key is wrong.
   */
  async encryptor(db: Database): Promise<Encryptor> {
    const existing = await this.existingEncryptor(db);
    if (existing) return existing;
    await this.createKey(db);
    await this.reload(db);
    const created = await this.existingEncryptor(db);
    if (!created) throw new KeyCheckError('No active data key exists after creating one.', 0);
    return created;
  }

  /**
   * Returns an encryptor bound to the newest active data key, or undefined when there is no
   * data key yet. Unlike `encryptor` it never creates one, so it writes nothing.
   */
  async existingEncryptor(db: Database): Promise<Encryptor | undefined> {
    const active = (await this.currentKeys(db)).keys[0];
    if (!active) return undefined;
    return {
      keyId: active.digest,
      encrypt: (column, rowId, plaintext) => encryptValue(active, column, rowId, plaintext),
    };
  }

  /**
   * Decrypts a stored value. `keyId` is the digest recorded in the value's `*_key_id` column.
   * @throws DecryptionError when the value was tampered with or belongs to another row or column.
   */
  async decrypt(db: Database, column: SecretColumn, rowId: string, value: string, keyId: string): Promise<string> {
    let key = (await this.currentKeys(db)).keys.find((k) => k.digest === keyId);
    if (!key) key = (await this.reload(db)).keys.find((k) => k.digest === keyId);
    if (!key) throw new DecryptionError(`No active data key has digest ${keyId}.`);

    const [version, body] = value.split(':', 2);
    if (version !== formatVersion || body === undefined) {
      throw new DecryptionError(`Unknown ciphertext format in ${column.table}.${column.column}.`);
    }
    try {
      const plaintext = await open(key.key, fromBase64Url(body), associatedData(column, rowId));
      return decoder.decode(plaintext);
    } catch {
      throw new DecryptionError(`Ciphertext in ${column.table}.${column.column} for row ${rowId} does not decrypt.`);
    }
  }

  /**
   * Loads and checks every active key now. The Node entry calls it at start-up so that a
   * wrong or unknown key stops the service before it serves.
   */
  async verify(db: Database): Promise<{ keyNumbers: number[] }> {
    const keySet = await this.reload(db);
    return { keyNumbers: keySet.keys.map((k) => k.number) };
  }

  /** Creates the next data key and records it. Concurrent creators race on the primary key; the loser reloads. */
  async createKey(db: Database): Promise<number> {
    const [newest] = await db
      .select({ number: dbcryptKeys.number })
      .from(dbcryptKeys)
      .orderBy(desc(dbcryptKeys.number))
      .limit(1);
    const number = (newest?.number ?? 0) + 1;
    const generated = await this.callProvider(() => this.provider.generateDataKey({ keyNumber: number }));
    const key = await importAesKey(generated.plaintext);
    const digest = await keyDigest(generated.plaintext);
    const test = toBase64Url(await seal(key, utf8(canaryText), canaryData(number)));
    const inserted = await db
      .insert(dbcryptKeys)
      .values({
        number,
        activeKeyDigest: digest,
        encryptedDataKey: generated.wrapped,
        kmsKeyId: this.provider.wrappingKeyId,
        test,
      })
      .onConflictDoNothing()
      .returning({ number: dbcryptKeys.number });
    // The new key is cached unwrapped, so the reload after a rotation makes no provider call.
    if (inserted.length > 0) this.remember({ number, digest, key });
    this.keySet = undefined;
    return number;
  }

  /**
   * Drops the list of active keys, so the next call reads `dbcrypt_keys` again. Unwrapped
   * keys stay cached. Callers use it when a write names a key that rotation has revoked.
   */
  forgetKeyList(): void {
    this.keySet = undefined;
  }

  private async currentKeys(db: Database): Promise<KeySet> {
    const keySet = this.keySet;
    if (keySet && this.now() - keySet.loadedAt < this.cacheTtlMs) return keySet;
    return this.reload(db);
  }

  private reload(db: Database): Promise<KeySet> {
    // Concurrent callers share one load, so a cold isolate unwraps each key once.
    this.loading ??= this.load(db).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(db: Database): Promise<KeySet> {
    const rows = await db
      .select()
      .from(dbcryptKeys)
      .where(isNotNull(dbcryptKeys.activeKeyDigest))
      .orderBy(desc(dbcryptKeys.number))
      .limit(this.maxCachedKeys);

    const keys: DataKey[] = [];
    for (const row of rows) {
      const digest = row.activeKeyDigest!;
      const cached = this.unwrapped.get(digest);
      if (cached && this.now() - cached.unwrappedAt < this.cacheTtlMs) {
        keys.push(cached.key);
        continue;
      }
      const key = await this.unwrap(row.number, digest, row.encryptedDataKey, row.kmsKeyId, row.test);
      this.remember(key);
      keys.push(key);
    }
    // Revoked keys leave the cache with the next load.
    const active = new Set(keys.map((k) => k.digest));
    for (const digest of this.unwrapped.keys()) if (!active.has(digest)) this.unwrapped.delete(digest);
    this.keySet = { keys, loadedAt: this.now() };
    return this.keySet;
  }

  private remember(key: DataKey): void {
    this.unwrapped.delete(key.digest);
    this.unwrapped.set(key.digest, { key, unwrappedAt: this.now() });
    // A Map iterates in insertion order, so the first entry is the longest cached.
    while (this.unwrapped.size > this.maxCachedKeys) this.unwrapped.delete(this.unwrapped.keys().next().value!);
  }

  private async unwrap(number: number, digest: string, wrapped: string, wrappingKeyId: string, test: string): Promise<DataKey> {
    const plaintext = await this.callProvider(() =>
      this.provider.decryptDataKey(wrapped, wrappingKeyId, { keyNumber: number }),
    );
    if ((await keyDigest(plaintext)) !== digest) {
      throw new KeyCheckError(
        `Data key ${number} does not match its recorded digest. Restore the right key or run "dbcrypt delete-all".`,
        number,
      );
    }
    const key = await importAesKey(plaintext);
    try {
      const canary = decoder.decode(await open(key, fromBase64Url(test), canaryData(number)));
      if (canary !== canaryText) throw new Error('canary mismatch');
    } catch {
      throw new KeyCheckError(
        `Data key ${number} fails its test value. Restore the right key or run "dbcrypt delete-all".`,
        number,
      );
    }
    return { number, digest, key };
  }

  private async callProvider<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof KeyProviderError && !error.retryable) {
        const keyNumber = error.keyNumber ?? Number(/Data key (\d+)/.exec(error.message)?.[1] ?? 0);
        throw new KeyCheckError(`${error.message} Configure the key that wrapped it, or run "dbcrypt delete-all".`, keyNumber);
      }
      const code = error instanceof KeyProviderError ? error.code : 'provider_error';
      throw new KeyUnavailableError('The key provider is unavailable.', code, { cause: error });
    }
  }
}

async function encryptValue(key: DataKey, column: SecretColumn, rowId: string, plaintext: string): Promise<string> {
  const box = await seal(key.key, utf8(plaintext), associatedData(column, rowId));
  return `${formatVersion}:${toBase64Url(box)}`;
}

/** 128 bits of SHA-256 of the plaintext data key: enough to never collide, useless to an attacker. */
export function keyDigest(plaintext: Uint8Array): Promise<string> {
  return sha256Hex(plaintext, 16);
}

function associatedData(column: SecretColumn, rowId: string): Uint8Array {
  return utf8(`switchboard/${formatVersion}/${column.table}/${column.column}/${rowId}`);
}

function canaryData(keyNumber: number): Uint8Array {
  return utf8(`switchboard/${formatVersion}/dbcrypt_keys/test/${keyNumber}`);
}
