/**
 * `npm run bench:rotation`: rows re-encrypted per second when rotation moves 100,000
 * secrets to a new data key on PostgreSQL, and the KMS calls one rotation makes, counted by
 * the KMS emulator that the real SDK talks to. Prints the figures and writes them to the
 * "Key rotation" section of docs/benchmarks.md.
 *
 * Needs a PostgreSQL server: `scripts/test-postgres.sh start /tmp/pg-bench 55440`, then
 * `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55440/postgres npm run bench:rotation`.
 * BENCH_ROWS changes the number of secrets (default 100000).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Keyring, secretColumns } from '../db/crypto/index.js';
import { rotateKeys } from '../db/crypto/rotation.js';
import { mcpServerConfigs } from '../db/schema.js';
import { createTestDatabase, testDatabaseUrl } from '../test/support/database.js';
import { startTestKms } from '../test/support/kms.js';

const rows = Number(process.env.BENCH_ROWS || 100_000);
const batchSizes = [100, 500, 2000];
const insertChunk = 1000;

if (!testDatabaseUrl) {
  console.error('Set TEST_DATABASE_URL to a PostgreSQL server; see the header of bench/rotation.ts.');
  process.exit(2);
}

const kms = await startTestKms();
const database = await createTestDatabase();
const keyring = new Keyring(kms.provider());

try {
  const seedStarted = performance.now();
  await seed();
  console.log(`Seeded ${rows} encrypted api_key_value rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s.`);

  const results: { batchSize: number; seconds: number; rowsPerSecond: number; kmsCalls: number }[] = [];
  for (const batchSize of batchSizes) {
    kms.emulator.resetCalls();
    const report = await rotateKeys(database.db, keyring, { force: true, batchSize, timeBudgetMs: 3_600_000, revokeGraceMs: 0 });
    if (report.outcome !== 'completed' || report.rowsReencrypted !== rows) {
      throw new Error(`Rotation did not finish: ${JSON.stringify(report)}`);
    }
    const seconds = report.durationMs / 1000;
    const result = { batchSize, seconds, rowsPerSecond: Math.round(rows / seconds), kmsCalls: kms.emulator.totalCalls() };
    results.push(result);
    console.log(
      `batch ${batchSize}: ${rows} rows in ${seconds.toFixed(2)} s = ${result.rowsPerSecond} rows/s, ` +
        `${result.kmsCalls} KMS call(s) (${JSON.stringify(kms.emulator.calls)})`,
    );
  }

  // A fresh process unwraps the one active key once, then rotates with one GenerateDataKey.
  kms.emulator.resetCalls();
  const cold = await rotateKeys(database.db, new Keyring(kms.provider()), { force: true, batchSize: 500, timeBudgetMs: 3_600_000, revokeGraceMs: 0 });
  const coldCalls = { ...kms.emulator.calls };
  console.log(`cold keyring: ${cold.rowsReencrypted} rows, KMS calls ${JSON.stringify(coldCalls)}`);

  await writeReport(results, coldCalls);
} finally {
  await database.close();
  await kms.close();
}

async function seed(): Promise<void> {
  const encryptor = await keyring.encryptor(database.db);
  for (let start = 0; start < rows; start += insertChunk) {
    const values = [];
    for (let i = start; i < Math.min(rows, start + insertChunk); i++) {
      const id = crypto.randomUUID();
      values.push({
        id,
        displayName: `Bench ${i}`,
        slug: `bench-${i}`,
        url: `https://mcp.example.com/bench-${i}`,
        authType: 'api_key' as const,
        apiKeyValue: await encryptor.encrypt(secretColumns.apiKeyValue, id, `bench-secret-${i}-${'x'.repeat(32)}`),
        apiKeyValueKeyId: encryptor.keyId,
      });
    }
    await database.db.insert(mcpServerConfigs).values(values);
  }
}

async function writeReport(
  results: { batchSize: number; seconds: number; rowsPerSecond: number; kmsCalls: number }[],
  coldCalls: Record<string, number>,
): Promise<void> {
  const serverVersion = await database.db.execute('SHOW server_version');
  const version = String((serverVersion as unknown as { rows: { server_version: string }[] }).rows[0]?.server_version ?? 'unknown');
  const machine = [
    `- CPU: ${execFileSync('nproc').toString().trim()} cores (${cpus()[0]?.model.trim() ?? 'unknown model'}), shared with other work while measured`,
    '- Memory (`free -h`):',
    '',
    '```',
    execFileSync('free', ['-h']).toString().trimEnd(),
    '```',
    '',
    `- PostgreSQL ${version} on 127.0.0.1 started by scripts/test-postgres.sh (fsync off), Node ${process.version}`,
    `- KMS: the test emulator on 127.0.0.1 through @aws-sdk/client-kms`,
  ];
  const table = [
    '| batch size | rows | seconds | rows re-encrypted per second | KMS calls |',
    '|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.batchSize} | ${rows} | ${r.seconds.toFixed(2)} | ${r.rowsPerSecond} | ${r.kmsCalls} |`),
  ];
  const section = [
    '<!-- rotation:start (written by npm run bench:rotation) -->',
    '## Key rotation',
    '',
    `Measured on ${new Date().toISOString().slice(0, 10)}: one forced rotation pass moves ${rows} encrypted`,
    '`api_key_value` rows to a new data key (decrypt, encrypt, and one guarded `UPDATE` per batch).',
    'The keyring was warm, as in a running service; the default batch size is 500.',
    '',
    ...table,
    '',
    `KMS calls per rotation: one \`GenerateDataKey\` for the new key, none per row. A cold keyring`,
    `(a fresh process) adds one \`Decrypt\` per active key: ${JSON.stringify(coldCalls)}.`,
    '',
    'Machine:',
    '',
    ...machine,
    '',
    'Reproduce:',
    '',
    '```sh',
    'scripts/test-postgres.sh start /tmp/pg-bench 55440',
    'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55440/postgres npm run bench:rotation',
    'scripts/test-postgres.sh stop /tmp/pg-bench',
    '```',
    '<!-- rotation:end -->',
  ].join('\n');

  const path = new URL('../docs/benchmarks.md', import.meta.url);
  await mkdir(new URL('../docs/', import.meta.url), { recursive: true });
  let page = await readFile(path, 'utf8').catch(() => '# Benchmarks\n\nMeasured figures, the machine they came from, and how to reproduce them.\n');
  const pattern = /<!-- rotation:start[\s\S]*?<!-- rotation:end -->/;
  page = pattern.test(page) ? page.replace(pattern, section) : `${page.trimEnd()}\n\n${section}\n`;
  await writeFile(path, page);
  console.log('Wrote docs/benchmarks.md.');
}
