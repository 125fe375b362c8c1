/** Server-side memory of redeemed OAuth `state` values, so a replayed callback is rejected. */
import { lt } from 'drizzle-orm';
import type { Database } from '../database.js';
import { oauth2UsedStates } from '../schema.js';

/**
 * Marks a state as redeemed and purges entries whose cookie has expired anyway.
 * @returns false when the state was redeemed before.
 */
export async function redeemOAuth2State(db: Database, state: string, expiresAt: Date): Promise<boolean> {
  const stateHash = await sha256Hex(state);
  return db.transaction(async (tx) => {
    await tx.delete(oauth2UsedStates).where(lt(oauth2UsedStates.expiresAt, new Date()));
    const inserted = await tx
      .insert(oauth2UsedStates)
      .values({ stateHash, expiresAt })
      .onConflictDoNothing()
      .returning({ stateHash: oauth2UsedStates.stateHash });
    return inserted.length === 1;
  });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
