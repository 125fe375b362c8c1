/**
 * A real OAuth authorization server (`oidc-provider`) and a protected MCP resource in front
 * of it, both on 127.0.0.1. The server is configured as the MCP authorization specification
 * expects: PKCE required, resource indicators (RFC 8707), dynamic client registration (RFC 7591),
 * `iss` in authorization responses (RFC 9207), revocation (RFC 7009) and rotating refresh
 * tokens. `authorize` walks the login and consent interactions with plain HTTP requests.
 */
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

export interface OAuthProviderFixture {
  issuer: string;
  /** The MCP endpoint URL, which rejects every request with 401 and a `resource_metadata` challenge. */
  mcpUrl: string;
  /** Requests that reached the provider, as `METHOD path` without query. */
  requests: string[];
  /** Form bodies of token and revocation requests, as the provider parsed them. */
  forms: { path: string; body: Record<string, unknown> }[];
  /** Follows an authorization URL through login and consent; returns the redirect to the client's callback. */
  authorize(authorizationUrl: string, account?: string): Promise<URL>;
  close(): Promise<void>;
}

export interface OAuthProviderOptions {
  providerPort: number;
  resourcePort: number;
}

export async function startOAuthProvider(options: OAuthProviderOptions): Promise<OAuthProviderFixture> {
  const issuer = `http://127.0.0.1:${options.providerPort}`;
  const resourceOrigin = `http://127.0.0.1:${options.resourcePort}`;
  const mcpUrl = `${resourceOrigin}/mcp`;

  const provider = new Provider(issuer, {
    clients: [],
    cookies: { keys: ['oauth-provider-fixture-cookie-key'] },
    scopes: ['mcp:tools', 'offline_access'],
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => mcpUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== mcpUrl) throw new Error(`unknown resource ${resource}`);
          return { scope: 'mcp:tools', audience: mcpUrl, accessTokenFormat: 'opaque', accessTokenTTL: 3600 };
        },
      },
    },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
  } as ConstructorParameters<typeof Provider>[1]);
  provider.on('server_error', () => {});

  const requests: string[] = [];
  const forms: { path: string; body: Record<string, unknown> }[] = [];
  // Koa middleware: after the provider ran, its parsed form body is on ctx.oidc.
  provider.use(async (ctx, next) => {
    requests.push(`${ctx.method} ${ctx.path}`);
    await next();
    if (ctx.method === 'POST' && (ctx.path === '/token' || ctx.path === '/token/revocation')) {
      forms.push({ path: ctx.path, body: { ...((ctx.oidc as { body?: Record<string, unknown> } | undefined)?.body ?? {}) } });
    }
  });
  const providerServer = createServer(provider.callback());

  const resourceServer = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ resource: mcpUrl, authorization_servers: [issuer], scopes_supported: ['mcp:tools'] }));
      return;
    }
    if (path === '/mcp') {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer resource_metadata="${resourceOrigin}/.well-known/oauth-protected-resource/mcp"`,
      });
      res.end();
      return;
    }
    res.writeHead(404).end();
  });

  await listen(providerServer, options.providerPort);
  await listen(resourceServer, options.resourcePort);

  return {
    issuer,
    mcpUrl,
    requests,
    forms,
    authorize: (url, account = 'alice') => walkInteractions(issuer, url, account),
    close: async () => {
      await Promise.all([close(providerServer), close(resourceServer)]);
    },
  };
}

/** Follows redirects by hand with a cookie jar, answering the login and consent prompts of the dev interactions. */
async function walkInteractions(issuer: string, authorizationUrl: string, account: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let method = 'GET';
  let body: URLSearchParams | undefined;

  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body: body.toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      jar.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    const location = response.headers.get('Location');
    if (location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== issuer) return next;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200 || !url.pathname.startsWith('/interaction/')) {
      throw new Error(`Unexpected ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    }
    // The dev interaction pages post `prompt` back to the same URL.
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (prompt !== 'login' && prompt !== 'consent') throw new Error(`Unknown interaction at ${url.pathname}`);
    method = 'POST';
    body = new URLSearchParams(prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt });
  }
  throw new Error('Too many redirects in the authorization flow.');
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
