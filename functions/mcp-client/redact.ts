/** Redaction for MCP client logs, which never contain a query string, a fragment or a header value. */

/** Returns origin and path only; query strings can carry session ids and keys. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '[invalid url]';
  }
}

/** Returns the header names, sorted; their values are never logged. */
export function headerNames(headers: Record<string, string>): string[] {
  return Object.keys(headers).sort();
}
