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

/** `host`, `host:port`, `[v6]` or `[v6]:port`, the forms of an HTTP Host header. */
const HOST_HEADER = /^(\[[^\]]+\]|[^:[\]]+)(:[0-9]{1,5})?$/;

/**
 * A Host header that names this machine by a loopback name or address (any port). In local mode
 * this is what stops DNS rebinding: a web page at evil.example, rebound to 127.0.0.1, reaches the
 * server with `Host: evil.example`, which a browser cannot change.
 */
export const isLoopbackHostHeader = (header: string | undefined): boolean => {
  const host = header === undefined ? undefined : HOST_HEADER.exec(header)?.[1];
  return host !== undefined && isLoopbackHost(host);
};
