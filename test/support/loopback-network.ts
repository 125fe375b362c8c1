/**
 * Setup file of the Node suite: every fetch a test causes, directly or through Switchboard's
 * outbound clients, may reach only this machine. A request to any other host fails as a
 * network error would, so a test that forgets to stand up its own server fails instead of
 * sending traffic out.
 */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const realFetch = globalThis.fetch;

globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!loopbackHosts.has(url.hostname) && !/^127\./.test(url.hostname)) {
    return Promise.reject(new TypeError(`fetch failed: tests reach only 127.0.0.1, not ${url.hostname}`));
  }
  return realFetch(input, init);
};
