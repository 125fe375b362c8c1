/**
 * The leak scanner every harness app runs when it closes. It collects the secrets its test
 * sent (API keys, client secrets, header values, tokens), every stored ciphertext, every
 * response (status, headers, body) and every log line. It fails when a secret or a
 * ciphertext appears in a response or a log line, or a plaintext secret in any table.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';

/** Shorter values are too likely to occur by chance in ordinary text. */
const minLength = 10;

const secretFields = new Set(['api_key_value', 'oauth2_client_secret']);

export class LeakScanner {
  private readonly secrets = new Set<string>();
  private readonly responses: string[] = [];

  /** Records the secrets in a request body that the API accepted. */
  noteRequest(body: unknown, accepted: boolean): void {
    if (!accepted || typeof body !== 'string') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return;
    }
    if (!parsed || typeof parsed !== 'object') return;
    for (const [field, value] of Object.entries(parsed)) {
      if (secretFields.has(field) && typeof value === 'string') this.addSecret(value.trim());
      if (field === 'custom_headers' && value && typeof value === 'object') {
        for (const header of Object.values(value)) if (typeof header === 'string') this.addSecret(header.trim());
      }
    }
  }

  noteSecret(value: string): void {
    this.addSecret(value);
  }

  noteResponse(status: number, headers: Headers, body: string): void {
    this.responses.push(`${status} ${JSON.stringify([...headers])} ${body}`);
  }

  /** Returns a description of every leak found; empty when there is none. */
  async scan(db: Database, logs: readonly string[]): Promise<string[]> {
    const tables = await db.execute(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    const names = rowsOf<{ table_name: string }>(tables).map((row) => row.table_name);
    const dumps: Record<string, string> = {};
    for (const name of names) {
      dumps[name] = JSON.stringify(rowsOf(await db.execute(sql.raw(`SELECT row_to_json(r)::text AS row FROM "${name}" r`))));
    }
    const ciphertexts = (dumps.mcp_server_configs ?? '') + (dumps.mcp_server_user_tokens ?? '');
    const stored = [...ciphertexts.matchAll(/v1:[A-Za-z0-9_-]{20,}/g)].map((match) => match[0]);

    const leaks: string[] = [];
    const outputs = [...this.responses.map((text) => ['a response', text] as const), ...logs.map((text) => ['a log line', text] as const)];
    for (const secret of [...this.secrets, ...stored]) {
      const found = outputs.find(([, text]) => text.includes(secret));
      if (found) leaks.push(`${describe(secret)} appears in ${found[0]}`);
    }
    for (const secret of this.secrets) {
      for (const [table, dump] of Object.entries(dumps)) {
        if (dump.includes(secret)) leaks.push(`${describe(secret)} is stored in plaintext in ${table}`);
      }
    }
    return leaks;
  }

  private addSecret(value: string): void {
    if (value.length >= minLength) this.secrets.add(value);
  }
}

function rowsOf<T = unknown>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

/** Names a secret by its length and first characters, so the failure message is no leak either. */
function describe(secret: string): string {
  return `a secret of ${secret.length} characters starting "${secret.slice(0, 3)}…"`;
}
