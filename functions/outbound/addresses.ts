/**
 * Classifies hosts that outbound requests must not reach: loopback, private, link-local,
 * shared, multicast and reserved ranges (IANA special-purpose registries for IPv4 and IPv6),
 * cloud metadata endpoints, and `localhost` names.
 */

/** [first address, prefix length] of each blocked IPv4 range. */
const blockedIpv4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const blockedNames = new Set(['localhost', 'metadata.google.internal', 'metadata']);

export function parseIpv4(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function ipv4Blocked(value: number): boolean {
  return blockedIpv4.some(([base, prefix]) => {
    const size = 2 ** (32 - prefix);
    const start = parseIpv4(base)!;
    return value >= start && value < start + size;
  });
}

/** Expands an IPv6 literal (without brackets) to eight 16-bit groups, or undefined. */
function parseIpv6(host: string): number[] | undefined {
  let text = host.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const dotted = parseIpv4(text.slice(lastColon + 1));
  if (dotted !== undefined) {
    tail = [Math.floor(dotted / 65536), dotted % 65536];
    text = `${text.slice(0, lastColon + 1)}0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (tail.length) (halves.length === 2 ? rest : head).pop();
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 1 && fill !== 0) return undefined;
  if (fill < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...rest, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}

function ipv6Blocked(groups: number[]): boolean {
  const [g0, , , , , g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const allZeroUntil = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (allZeroUntil(7) && (g7 === 0 || g7 === 1)) return true; // :: and ::1
  if (allZeroUntil(5) && g5 === 0xffff) return ipv4Blocked(g6 * 65536 + g7); // IPv4-mapped
  if (g0 === 0x64 && groups[1] === 0xff9b && allZeroUntil(0)) return ipv4Blocked(g6 * 65536 + g7); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && groups[1] === 0x0db8) return true; // documentation
  return false;
}

/** True for an IP literal in a blocked range; false for public addresses and for names. */
export function isBlockedAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return ipv4Blocked(v4);
  const v6 = parseIpv6(bare);
  return v6 !== undefined && ipv6Blocked(v6);
}

/** True for host names that always mean this machine or a metadata service. */
export function isBlockedName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return blockedNames.has(name) || name.endsWith('.localhost');
}

export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return v4 >>> 24 === 127;
  return bare === '::1' || bare.toLowerCase() === 'localhost';
}
