/** The Node resolver for the outbound guard: every address a name resolves to, as the OS resolver sees it. */
import { lookup } from 'node:dns/promises';

export async function resolveHost(host: string): Promise<string[]> {
  const addresses = await lookup(host, { all: true, verbatim: true });
  return addresses.map((entry) => entry.address);
}
