/**
 * Secrets that `npm start` generates on first run and keeps under DATA_DIR: the local root
 * key, the dev token signing secret and the OAuth state secret. Both files are created with mode 0600.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fromBase64Url, toBase64Url } from '../db/crypto/aead.js';

export const defaultDataDir = '.data';

export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(env.DATA_DIR || defaultDataDir);
}

/** Returns the 32 bytes stored in `name` under `dataDir`, creating the file when absent. */
export async function readOrCreateKeyFile(
  dataDir: string,
  name: string,
): Promise<{ key: Uint8Array; created: boolean; path: string }> {
  const path = join(dataDir, name);
  try {
    const key = fromBase64Url((await readFile(path, 'utf8')).trim());
    if (key.byteLength !== 32) throw new Error(`${path} must hold 32 bytes in base64url.`);
    return { key, created: false, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = crypto.getRandomValues(new Uint8Array(32));
  // `wx` fails if another process created the file meanwhile, rather than replacing its key.
  await writeFile(path, `${toBase64Url(key)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { key, created: true, path };
}

/** The HS256 secret of dev tokens: AUTH_JWT_SECRET, else the generated file under DATA_DIR. */
export async function devSigningSecret(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.AUTH_JWT_SECRET) return env.AUTH_JWT_SECRET;
  const { key } = await readOrCreateKeyFile(dataDirFrom(env), 'dev-jwt-secret');
  return toBase64Url(key);
}

/** Returns the secret of OAuth state cookies and connect tickets: OAUTH_STATE_SECRET, else the generated file under DATA_DIR. */
export async function oauthStateSecret(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.OAUTH_STATE_SECRET) return env.OAUTH_STATE_SECRET;
  const { key } = await readOrCreateKeyFile(dataDirFrom(env), 'oauth-state-secret');
  return toBase64Url(key);
}
