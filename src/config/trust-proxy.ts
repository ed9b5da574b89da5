import { isIP } from 'node:net';
import type { EnvReader } from './env-reader.js';

/**
 * `TRUST_PROXY`: which hops of `X-Forwarded-For` to believe. `false`: none,
 * the client is the socket's peer. A number: that many proxies stand in front
 * and append to the header, so the client is that many hops from the right
 * (only safe when no client can reach the server around them). A list: the
 * proxies' addresses and CIDR ranges; the client is the first hop from the
 * right that is not one of them. Never "every hop", which would let a client
 * choose its own address.
 */
export type TrustProxy = false | number | readonly string[];

const refused =
  'would trust every hop, so any client could choose its address: set the number of proxies in front (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.1,10.0.0.0/8)';

/** Reads `TRUST_PROXY`; a value that would trust every hop is a problem, with the line saying what to write instead. */
export function readTrustProxy(read: EnvReader): TrustProxy {
  const value = read.raw('TRUST_PROXY');
  if (value === undefined || ['false', 'no', 'off'].includes(value.toLowerCase())) return false;
  if (['true', 'yes', 'on', '*', 'all'].includes(value.toLowerCase())) {
    read.problem(`TRUST_PROXY=${value} ${refused}`);
    return false;
  }
  if (/^\d+$/.test(value)) {
    const hops = read.integer('TRUST_PROXY', 0, 0, 100);
    return hops === 0 ? false : hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isAddressOrRange(entry));
  if (bad.length > 0) {
    read.problem(
      `TRUST_PROXY must be a number of proxies or a comma-separated list of their IP addresses or CIDR ranges (got "${bad.join('", "')}")`,
    );
    return false;
  }
  if (entries.some((entry) => entry.includes('/') && Number(entry.split('/')[1]) === 0)) {
    read.problem(`TRUST_PROXY=${value} ${refused}`);
    return false;
  }
  return entries;
}

/** `10.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`; not host names, which a hop's address is never compared with. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
