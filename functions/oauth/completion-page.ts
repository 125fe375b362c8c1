/**
 * The page the connect popup ends on. Its script posts one message to the opener, with the
 * configured app origin as target so no other page can read it, and closes the popup. The
 * Content-Security-Policy allows only that script, by nonce; `Referrer-Policy: no-referrer`
 * keeps the callback URL, which carries the code, out of any later request.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface CompletionMessage {
  type: 'switchboard:oauth2';
  serverId: string | null;
  status: 'connected' | 'error';
  /** The stable error code, when `status` is `error`. */
  code?: string;
}

/** Renders the page with `status`; `text` is shown if the popup cannot close itself. */
export function completionPage(
  c: Context,
  status: ContentfulStatusCode,
  appOrigin: string,
  message: CompletionMessage,
  text: string,
): Response {
  const nonce = base64Url(crypto.getRandomValues(new Uint8Array(18)));
  const script = `(function(){var m=${scriptJson(message)};if(window.opener){window.opener.postMessage(m,${scriptJson(appOrigin)});}window.close();})();`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard</title><meta name="viewport" content="width=device-width"></head>
<body><p>${escapeHtml(text)}</p><script nonce="${nonce}">${script}</script></body></html>`;
  return c.html(html, status, {
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
}

/** JSON that is safe inside a script element: `<`, `>`, `&` and line separators are escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
