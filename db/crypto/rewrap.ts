/**
 * Re-wrapping: moves every active data key in `dbcrypt_keys` under the target provider's
 * wrapping key, without touching a single encrypted row (the data keys, and so their
 * digests, stay the same). Between KMS keys this is `ReEncrypt`, and the plaintext key
 * never leaves KMS; between the local provider and KMS the key is unwrapped by its source
 * provider and wrapped again by the target.
 */
import { and, eq, isNotNull, ne } from 'drizzle-orm';
import type { Database } from '../database.js';
import { dbcryptKeys } from '../schema.js';
import { keyDigest } from './keyring.js';
import { KeyProviderError, type KeyProvider } from './key-provider.js';

export interface RewrapResult {
  rewrapped: number[];
  /** Keys that no configured provider can unwrap, so they stay where they are. */
  unreachable: number[];
}

/**
 * Re-wraps each active data key not yet under `target.wrappingKeyId`. Each key is checked
 * after the re-wrap by unwrapping it again and comparing digests, and its row is updated only
 * while it still holds the wrapped key that was read, so a re-run after a crash is safe.
 * @param sources providers that can unwrap keys `target` cannot, such as the local root key
 * when moving to KMS.
 * @throws KeyProviderError when a provider call fails.
 */
export async function rewrapDataKeys(
  db: Database,
  target: KeyProvider,
  sources: KeyProvider[] = [],
): Promise<RewrapResult> {
  const rows = await db
    .select()
    .from(dbcryptKeys)
    .where(and(isNotNull(dbcryptKeys.activeKeyDigest), ne(dbcryptKeys.kmsKeyId, target.wrappingKeyId)))
    .orderBy(dbcryptKeys.number);

  const result: RewrapResult = { rewrapped: [], unreachable: [] };
  for (const row of rows) {
    const context = { keyNumber: row.number };
    let wrapped: string;
    if (target.canUnwrap(row.kmsKeyId)) {
      wrapped = await target.rewrapDataKey(row.encryptedDataKey, row.kmsKeyId, context);
    } else {
      const source = sources.find((provider) => provider.canUnwrap(row.kmsKeyId));
      if (!source) {
        result.unreachable.push(row.number);
        continue;
      }
      const plaintext = await source.decryptDataKey(row.encryptedDataKey, row.kmsKeyId, context);
      wrapped = await target.wrapDataKey(plaintext, context);
      plaintext.fill(0);
    }

    const check = await target.decryptDataKey(wrapped, target.wrappingKeyId, context);
    const digest = await keyDigest(check);
    check.fill(0);
    if (digest !== row.activeKeyDigest) {
      throw new KeyProviderError(`Data key ${row.number} does not match its digest after re-wrapping; nothing was changed.`, 'rewrap_mismatch', false, {
        keyNumber: row.number,
      });
    }

    await db
      .update(dbcryptKeys)
      .set({ encryptedDataKey: wrapped, kmsKeyId: target.wrappingKeyId })
      .where(and(eq(dbcryptKeys.number, row.number), eq(dbcryptKeys.encryptedDataKey, row.encryptedDataKey)));
    result.rewrapped.push(row.number);
  }
  return result;
}
