/**
 * The connect popup in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core). An app page on its own origin opens the popup, and the user signs in and
 * consents at oidc-provider. The callback page then posts its completion message to the app
 * origin and closes. Skipped outside CI when /usr/bin/chromium is missing.
 */
import { serve, type ServerType } from '@hono/node-server';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, type TestApp } from '../support/harness.js';
import { startOAuthProvider, type OAuthProviderFixture } from '../support/oauth-provider.js';
import { createOAuthServer, getServer, serversPath, storedTokens } from './support.js';

const chromiumPath = '/usr/bin/chromium';
const switchboardOrigin = 'http://127.0.0.1:31455';
const appOrigin = 'http://127.0.0.1:31456';

/** The app's page: a button that opens the connect URL, and a listener that accepts only Switchboard's message. */
const appPage = `<!doctype html><html><body>
<button id="connect">Connect</button>
<script>
  window.messages = [];
  window.addEventListener('message', (event) => {
    if (event.origin !== ${JSON.stringify(switchboardOrigin)}) return;
    window.messages.push(event.data);
  });
  document.getElementById('connect').addEventListener('click', () => {
    window.open(new URLSearchParams(location.search).get('connect'), 'switchboard-connect', 'popup,width=500,height=600');
  });
</script></body></html>`;

let t: TestApp;
let provider: OAuthProviderFixture;
let switchboard: ServerType;
let appServer: Server;
let context: BrowserContext;
let profile: string;

// CI installs chromium, so there a missing browser fails the suite instead of skipping it.
describe.skipIf(!existsSync(chromiumPath) && !process.env.CI)('connect popup in Chromium', () => {
  beforeAll(async () => {
    provider = await startOAuthProvider({ providerPort: 31457, resourcePort: 31458 });
    t = await createTestApp({ publicBaseUrl: switchboardOrigin, appOrigin });
    await new Promise<void>((resolve) => {
      switchboard = serve({ fetch: t.app.fetch, port: 31455, hostname: '127.0.0.1' }, () => resolve());
    });
    appServer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(appPage));
    await new Promise<void>((resolve) => appServer.listen(31456, '127.0.0.1', resolve));

    profile = await mkdtemp(join(tmpdir(), 'switchboard-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => switchboard?.close(resolve));
    appServer?.closeAllConnections();
    await new Promise((resolve) => appServer?.close(resolve));
    await provider?.close();
    await t?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('delivers the completion message to the app page', async () => {
    const serverId = await createOAuthServer(t, 'browser', { url: provider.mcpUrl });
    const started = await t.request('POST', `${serversPath}/${serverId}/oauth2/connect`, { as: 'member' });
    const { url } = (await started.json()) as { url: string };

    const page = await context.newPage();
    await page.goto(`${appOrigin}/?connect=${encodeURIComponent(url)}`);
    const popupOpened = page.waitForEvent('popup');
    await page.click('#connect');
    const popup = await popupOpened;

    await popup.waitForSelector('input[name="login"]');
    await popup.fill('input[name="login"]', 'alice');
    await popup.fill('input[name="password"]', 'any');
    await popup.click('button[type="submit"]');
    await popup.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
    const closed = popup.waitForEvent('close');
    await popup.click('button[type="submit"]');
    await closed;

    await page.waitForFunction(() => (globalThis as unknown as { messages: unknown[] }).messages.length > 0);
    const messages = await page.evaluate(() => (globalThis as unknown as { messages: unknown[] }).messages);
    expect(messages).toEqual([{ type: 'switchboard:oauth2', serverId, status: 'connected' }]);
    expect(await storedTokens(t, serverId, await userIdForSubject('member-1'))).toHaveLength(1);
    const server = await getServer(t, serverId, 'member');
    expect(server.auth_connected).toBe(true);
  });
});
