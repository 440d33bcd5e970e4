/**
 * What the proxy reads from and writes to a request's headers: the Host as Kong's router reads
 * it (parsed once per distinct raw header, then looked up), X-Forwarded-* as Kong's handler sets
 * them, and the hop-by-hop headers that stay with the client's connection.
 */
import type http from 'node:http';

/** The Host header as the router reads it: Kong's `$host` (lower-case, no port) and the port it names (-1: none). */
export interface HostParts {
  readonly host: string;
  readonly port: number;
}

const NO_HOST: HostParts = { host: '', port: -1 };
/** Parsed Host headers by their raw text: a request pays a Map lookup, not a slice and a lower-casing. */
const HOSTS = new Map<string, HostParts>();
/** Bounds the cache against a client that sends a new Host each time (it is then rebuilt as used). */
const MAX_HOSTS = 4096;

function parseHost(header: string): HostParts {
  const colon = header.lastIndexOf(':');
  if (colon === -1 || header.indexOf(']') > colon) return { host: header.toLowerCase(), port: -1 };
  const p = Number(header.slice(colon + 1));
  return { host: header.slice(0, colon).toLowerCase(), port: p > 0 ? p : -1 };
}

/** The parts of a raw Host header, cached by its text. */
export function hostParts(header: string | undefined): HostParts {
  if (header === undefined) return NO_HOST;
  let parts = HOSTS.get(header);
  if (parts === undefined) {
    parts = parseHost(header);
    if (HOSTS.size >= MAX_HOSTS) HOSTS.clear();
    HOSTS.set(header, parts);
  }
  return parts;
}

const PORTS = new Map<number, string>();

function portText(n: number): string {
  let t = PORTS.get(n);
  if (t === undefined) {
    t = String(n);
    if (PORTS.size < 64) PORTS.set(n, t);
  }
  return t;
}

/**
 * X-Forwarded-* and X-Real-IP as Kong's handler sets them with its default `trusted_ips` (none):
 * the client's own X-Forwarded-Proto/Host/Port/Path/Prefix are replaced, never passed on, while
 * X-Forwarded-For is kept and the client's address appended. Host is `$host` (lower-case, no
 * port), Port the port the request arrived on, Path the path as received (no query), Prefix what
 * strip_path matched (`prefix`: null when nothing was stripped, or only `/`).
 */
export function forwarded(
  req: http.IncomingMessage,
  encrypted: boolean,
  host: string,
  localPort: number,
  rawPath: string,
  prefix: string | null,
): void {
  const h = req.headers;
  const remote = req.socket.remoteAddress ?? '';
  const xff = h['x-forwarded-for'];
  h['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
  h['x-forwarded-proto'] = encrypted ? 'https' : 'http';
  if (host !== '') h['x-forwarded-host'] = host;
  else if (h['x-forwarded-host'] !== undefined) delete h['x-forwarded-host'];
  h['x-forwarded-port'] = portText(localPort);
  h['x-forwarded-path'] = rawPath;
  if (prefix !== null) h['x-forwarded-prefix'] = prefix;
  else if (h['x-forwarded-prefix'] !== undefined) delete h['x-forwarded-prefix'];
  h['x-real-ip'] = remote;
}

/**
 * Headers that describe one connection, not the request (RFC 9110 7.6.1), stay with the client's
 * connection; the pooled connection to the target has its own. `transfer-encoding` and `upgrade`
 * are left to Node and http-proxy, which frame bodies and WebSockets with them. A plain
 * `Connection: keep-alive` is what the pooled connection says anyway, so it is left in place
 * (a `delete` would turn the headers object into a slow dictionary on most requests).
 */
export function stripHopByHop(h: http.IncomingHttpHeaders): void {
  const connection = h.connection;
  if (connection !== undefined && connection !== 'keep-alive') {
    if (connection !== 'close')
      for (const name of namedByConnection(connection))
        if (name !== 'upgrade' && name !== 'transfer-encoding') delete h[name];
    delete h.connection;
  }
  if (h['keep-alive'] !== undefined) delete h['keep-alive'];
  if (h['proxy-connection'] !== undefined) delete h['proxy-connection'];
  if (h['proxy-authorization'] !== undefined) delete h['proxy-authorization'];
  if (h.te !== undefined) delete h.te;
  if (h.trailer !== undefined) delete h.trailer;
}

/** The header names a Connection header lists (lower-case), less keep-alive and close, which name none. */
export function namedByConnection(connection: string): string[] {
  const names: string[] = [];
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '' && t !== 'keep-alive' && t !== 'close') names.push(t);
  }
  return names;
}
