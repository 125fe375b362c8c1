/**
 * Starts `@modelcontextprotocol/server-everything` from its CLI as a child process on
 * 127.0.0.1, in its Streamable HTTP mode (served at `/mcp`) or its SSE mode (at `/sse`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type EverythingMode = 'streamableHttp' | 'sse';

export interface EverythingServer {
  url: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const entry = join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'loopback-only.mjs')).href;
/** What each mode prints on stderr once it listens. */
const readyPattern = /listening on port|running on port/i;

export function startServerEverything(mode: EverythingMode, port: number): Promise<EverythingServer> {
  const child = spawn(process.execPath, ['--import', preload, entry, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  return new Promise((resolve, reject) => {
    let output = '';
    const onExit = (code: number | null) => reject(new Error(`server-everything ${mode} exited with ${code} before listening: ${output}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      output += chunk;
      if (!readyPattern.test(output)) return;
      child.off('exit', onExit);
      const path = mode === 'sse' ? '/sse' : '/mcp';
      resolve({ url: `http://127.0.0.1:${port}${path}`, stop: () => stop(child) });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
