/**
 * The scheduled key rotation: the Worker's cron trigger (see `wrangler.toml`) runs one
 * rotation pass with the isolate's keyring and writes one structured log line about it.
 */
import { rotateKeys, rotationLogFields, type RotationOptions, type RotationReport } from '../db/crypto/rotation.js';
import { KeyCheckError, KeyProviderError, KeyUnavailableError } from '../db/crypto/index.js';
import type { Runtime } from './env.js';

/** What the Worker runtime passes to `scheduled`; a subset of its `ScheduledController`. */
export interface ScheduledEvent {
  cron: string;
  scheduledTime: number;
}

/**
 * Runs one rotation pass on a database from `runtime` and logs `key_rotation` with its
 * figures, or `key_rotation_failed` with a safe error code.
 * @throws the rotation's error after logging it, so the platform records the run as failed.
 */
export async function runScheduledRotation(
  runtime: Runtime,
  event: ScheduledEvent,
  options: RotationOptions = {},
): Promise<RotationReport> {
  const { db, release } = await runtime.acquireDatabase();
  try {
    const report = await rotateKeys(db, runtime.keyring, { holder: `scheduled-${crypto.randomUUID()}`, ...options });
    runtime.log.info('key_rotation', { cron: event.cron, ...rotationLogFields(report) });
    return report;
  } catch (error) {
    runtime.log.error('key_rotation_failed', { cron: event.cron, ...errorFields(error) });
    throw error;
  } finally {
    await release();
  }
}

/** Fields that identify a failure without its message, which may carry driver parameters. */
function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof KeyUnavailableError) return { error_code: error.code, provider_code: error.providerCode };
  if (error instanceof KeyCheckError) return { error_code: error.code, key_number: error.keyNumber, error_message: error.message };
  if (error instanceof KeyProviderError) return { error_code: error.code, key_number: error.keyNumber };
  return { error_name: error instanceof Error ? error.name : 'Error' };
}
