/** Terminal output of the dbcrypt CLI: the status table and rotation progress. */
import type { DbcryptStatus } from '../db/crypto/maintenance.js';
import type { RotationProgress } from '../db/crypto/rotation.js';

/** Formats the status as a table, one key per line, newest first. */
export function formatStatus(status: DbcryptStatus): string {
  if (status.keys.length === 0) return 'No data keys yet; the first write of a secret creates key 1.';
  const header = ['key', 'state', 'age (days)', 'rows', 'wrapped by'];
  const lines = status.keys.map((key) => [
    String(key.number),
    key.state === 'revoked' ? `revoked ${key.revokedAt?.toISOString().slice(0, 10) ?? ''}` : 'active',
    key.ageDays.toFixed(1),
    String(key.rows),
    key.wrappedBy,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const out = [format(header), ...lines.map(format)];
  if (status.lease) {
    const state = status.lease.expiresAt.getTime() > Date.now() ? 'held' : 'expired';
    out.push('', `Rotation lease ${state} by ${status.lease.holder} until ${status.lease.expiresAt.toISOString()}.`);
  }
  return out.join('\n');
}

export interface ProgressReporter {
  update(progress: RotationProgress): void;
  finish(): void;
}

/**
 * Shows re-encryption progress: a bar redrawn in place on a terminal, otherwise a plain
 * line at each tenth of the work, so logs stay readable.
 */
export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let drawn = false;
  let lastTenth = -1;
  return {
    update({ rowsReencrypted, rowsTotal }) {
      if (rowsTotal === 0) return;
      const fraction = Math.min(1, rowsReencrypted / rowsTotal);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(`\rRe-encrypting [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${rowsReencrypted}/${rowsTotal}`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      stream.write(`Re-encrypted ${rowsReencrypted} of ${rowsTotal} rows.\n`);
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
