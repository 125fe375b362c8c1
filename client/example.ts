/**
 * The README's walk-through with the typed client: register a Sentry-shaped API-key server,
 * enable it, and list the servers as a member. `npm run example` runs it against the server at
 * SWITCHBOARD_URL (default http://127.0.0.1:8787) with the tokens `npm start` prints
 * (ADMIN_TOKEN and MEMBER_TOKEN).
 */
import type { Client } from 'openapi-fetch';
import { createSwitchboardClient, type McpServerConfig, type paths } from './index.js';

/** Registers and enables a server as `admin`, then returns the list `member` gets. */
export async function walkThrough(admin: Client<paths>, member: Client<paths>, slug: string): Promise<McpServerConfig[]> {
  const created = await admin.POST('/api/experimental/mcp/servers', {
    body: {
      display_name: 'Sentry',
      slug,
      url: 'https://mcp.sentry.dev/mcp',
      auth_type: 'api_key',
      api_key_value: 'Bearer sntrys_demo_token',
      tool_deny_list: ['update_issue'],
    },
  });
  if (!created.data) throw new Error(`create failed: ${created.error?.code} ${created.error?.message}`);

  const enabled = await admin.PATCH('/api/experimental/mcp/servers/{id}', {
    params: { path: { id: created.data.id } },
    body: { enabled: true },
  });
  if (!enabled.data) throw new Error(`enable failed: ${enabled.error?.code}`);

  const listed = await member.GET('/api/experimental/mcp/servers');
  if (!listed.data) throw new Error(`list failed: ${listed.error?.code}`);
  return listed.data;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const baseUrl = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8787';
  const adminToken = process.env.ADMIN_TOKEN;
  const memberToken = process.env.MEMBER_TOKEN;
  if (!adminToken || !memberToken) {
    console.error('Set ADMIN_TOKEN and MEMBER_TOKEN to the tokens npm start prints.');
    process.exit(2);
  }
  // A fresh slug each run, because slugs are unique.
  const servers = await walkThrough(
    createSwitchboardClient({ baseUrl, token: adminToken }),
    createSwitchboardClient({ baseUrl, token: memberToken }),
    `sentry-client-${Date.now().toString(36)}`,
  );
  for (const server of servers) console.log(`${server.slug}: enabled=${server.enabled} has_api_key=${server.has_api_key} url=${JSON.stringify(server.url)}`);
}
