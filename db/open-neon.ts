/**
 * Opens Neon through `@neondatabase/serverless` for the Worker. A Worker may not reuse an
 * I/O object across requests, so each request opens its own pool and ends it afterwards.
 */
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { DatabaseHandle } from './database.js';
import * as schema from './schema.js';

export interface OpenNeonOptions {
  databaseUrl: string;
  /**
   * `host:port/path` of a WebSocket-to-TCP proxy in front of a plain PostgreSQL server, for
   * local runs and tests. Neon's own endpoints need none.
   */
  webSocketProxy?: string;
}

export function openNeon(options: OpenNeonOptions): DatabaseHandle {
  if (options.webSocketProxy) {
    const proxy = options.webSocketProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({ connectionString: options.databaseUrl, max: 1 });
  pool.on('error', () => {});
  const db = drizzle({ client: pool, schema });
  return { db, driver: 'neon', close: () => pool.end() };
}
