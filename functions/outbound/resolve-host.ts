/** Resolves a host name to every address the OS resolver returns, for the outbound guard in Node. */
import { lookup } from 'node:dns/promises';

export async function resolveHost(host: string): Promise<string[]> {
  const addresses = await lookup(host, { all: true, verbatim: true });
  return addresses.map((entry) => entry.address);
}
