/**
 * Node entry: `npm start`. Serves the same endpoint modules as the Worker, on PGlite under
 * DATA_DIR by default or on DATABASE_URL, with dev tokens, and with AWS KMS when KMS_KEY_ID
 * is set or else the local root key.
 */
import { serve } from '@hono/node-server';
import { join } from 'node:path';
import { KeyUnavailableError, Keyring } from '../db/crypto/index.js';
import { migrateDatabase, openDatabase } from '../db/open.js';
import { createApp } from './app.js';
import { createTokenVerifier, signDevToken } from './auth/tokens.js';
import { ConfigError, readConfig } from './config.js';
import type { Runtime } from './env.js';
import { createKeyProvider, rotationDaysFrom, usesKms } from './key-provider-config.js';
import { dataDirFrom, devSigningSecret, oauthStateSecret, readOrCreateKeyFile } from './local-files.js';
import { createLogger } from './log.js';
import { createGuardedFetch } from './outbound/guarded-fetch.js';
import { resolveHost } from './outbound/resolve-host.js';

const log = createLogger();

async function main(): Promise<void> {
  const env = process.env;
  const dataDir = dataDirFrom(env);
  const port = Number(env.PORT || 8787);
  const host = env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT must be a TCP port number.');

  const usesDevTokens = !env.AUTH_JWKS_URL;
  const config = readConfig({
    ALLOW_LOCAL_TARGETS: 'true',
    PUBLIC_BASE_URL: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    ...env,
    OAUTH_STATE_SECRET: await oauthStateSecret(env),
    ...(usesDevTokens ? { AUTH_JWT_SECRET: await devSigningSecret(env) } : {}),
  });

  // Read now, although only rotation uses it, so a wrong value stops start-up.
  rotationDaysFrom(env);
  const provider = await createKeyProvider(env, { fallbackRootKey: () => localRootKey(dataDir) });
  const keyring = new Keyring(provider);

  const handle = await openDatabase({
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { pgliteDataDir: join(dataDir, 'pglite') }),
  });
  if (env.MIGRATE_ON_START !== 'false') await migrateDatabase(handle);
  try {
    const { keyNumbers } = await keyring.verify(handle.db);
    log.info('keys_loaded', { key_numbers: keyNumbers, key_provider: usesKms(env) ? 'aws-kms' : 'local' });
  } catch (error) {
    // An outage is not a wrong key, so the service starts and returns 503 where a key is needed.
    if (!(error instanceof KeyUnavailableError)) throw error;
    log.error('key_provider_unavailable', { provider_code: error.providerCode, note: 'Requests that need a key get 503 until the key provider is reachable.' });
  }

  const runtime: Runtime = {
    config,
    keyring,
    verifyToken: createTokenVerifier(config.auth),
    log,
    resolveHost,
    fetchOutbound: createGuardedFetch({ allowLocalTargets: config.allowLocalTargets, resolveHost }),
    acquireDatabase: async () => ({ db: handle.db, release: async () => {} }),
  };
  const app = createApp(runtime);
  const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
    log.info('listening', { url: `http://${host}:${info.port}`, driver: handle.driver, data_dir: dataDir });
    if (usesDevTokens) void printDevTokens(config.auth.hs256Secret!, `http://${host}:${info.port}`, env.DATA_DIR);
  });

  server.on('error', (error: NodeJS.ErrnoException) => {
    log.error('listen_failed', { error_code: error.code, host, port, hint: 'Set PORT to a free port.' });
    void handle.close().then(() => process.exit(1));
  });

  const stop = () => {
    log.info('stopping');
    server.close(() => void handle.close().then(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function localRootKey(dataDir: string): Promise<Uint8Array> {
  const { key, created, path } = await readOrCreateKeyFile(dataDir, 'local-root-key');
  log.warn('local_root_key', {
    path,
    created,
    note: 'This root key file is for local use only; production wraps data keys with AWS KMS.',
  });
  return key;
}

async function printDevTokens(secret: Uint8Array, url: string, dataDir: string | undefined): Promise<void> {
  // `npm run token` signs with the secret under the same DATA_DIR, so the hint names it.
  const tokenCommand = `${dataDir ? `DATA_DIR=${dataDir} ` : ''}npm run token -- --role admin|member --sub NAME`;
  const admin = await signDevToken(secret, { subject: 'dev-admin', roles: ['admin'], name: 'Dev Admin' });
  const member = await signDevToken(secret, { subject: 'dev-member', roles: [], name: 'Dev Member' });
  process.stdout.write(
    [
      '',
      `Switchboard is listening on ${url}`,
      `Dev tokens (valid 7 days; make more with \`${tokenCommand}\`):`,
      `  export ADMIN_TOKEN=${admin}`,
      `  export MEMBER_TOKEN=${member}`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  log.error('startup_failed', { error_name: error instanceof Error ? error.name : 'Error', error_message: message });
  process.exit(1);
});
