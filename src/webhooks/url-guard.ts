import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Where a delivery may go: the address that was checked, so DNS cannot swap it afterwards. */
export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

/**
 * Addresses a webhook must never reach: this host, the private networks behind it, link-local
 * (where cloud metadata services live), CGNAT, multicast, unspecified and reserved ranges.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** True when `address` (an IP literal) is one a webhook may be sent to. */
export function isPublicAddress(address: string): boolean {
  const mapped = MAPPED_IPV4.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return false;
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface UrlPolicy {
  /** `http://` is accepted only outside production. */
  production: boolean;
  allowPrivate: boolean;
}

/** The reason `raw` is not an acceptable endpoint URL, before any DNS; null when it is. */
export function urlShapeProblem(raw: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.production)) {
    return policy.production ? 'must be an https:// URL' : 'must be an http:// or https:// URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  return null;
}

/**
 * Resolves the URL's host and checks every address it resolves to: one private answer among
 * public ones would let a rebinding DNS choose it later. Returns the first address, to connect to.
 */
export async function checkTarget(raw: string, policy: UrlPolicy): Promise<CheckedTarget> {
  const shape = urlShapeProblem(raw, policy);
  if (shape) throw new UnsafeUrlError(shape);
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new UnsafeUrlError('has a host name that does not resolve');
    }
  }
  if (addresses.length === 0) throw new UnsafeUrlError('has a host name that does not resolve');
  if (!policy.allowPrivate && !addresses.every((entry) => isPublicAddress(entry.address))) {
    throw new UnsafeUrlError(
      'resolves to a loopback, private, link-local or metadata address, which is not allowed',
    );
  }
  return { url, address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}
