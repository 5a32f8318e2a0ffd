import { BlockList, isIPv4, isIPv6 } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * A host only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (in any spelling, also
 * IPv4-mapped). What a server without tokens may listen on.
 */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  return isIPv6(h) && LOOPBACK.check(h, 'ipv6');
};
