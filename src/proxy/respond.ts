/**
 * The target's answer, written to the client in one call. http-proxy still sends the request and
 * streams both bodies (`selfHandleResponse`), but its response passes are replaced: they parse
 * the target's headers into an object, then copy them one `setHeader` at a time, and pass the
 * pooled connection's own Connection and Keep-Alive on to the client. Here the raw headers go
 * through in order (duplicates such as Set-Cookie kept), less the hop-by-hop ones, as nginx
 * passes an upstream's response: Node frames the body and says Connection and Keep-Alive for
 * the client's connection itself. The target's Keep-Alive hint is kept for the agent (agents.ts).
 */
import type http from 'node:http';
import { BAD_GATEWAY, sendJson } from './answers.js';
import { FLIGHT, givenCookies, type Req } from './flight.js';
import { namedByConnection } from './headers.js';

/** The target's `Keep-Alive` header (null: none), read while its headers are copied, so the agent need not parse them. */
export const HINT = Symbol('switchyard.keepAliveHint');
export type Answer = http.IncomingMessage & { [HINT]?: string | null };

/**
 * Whether a header name (as the target spelled it) is hop-by-hop (RFC 9110 7.6.1): Connection,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade. Only names of those
 * lengths are lower-cased.
 */
function hopByHop(name: string): string | null {
  const n = name.length;
  if (n !== 2 && n !== 7 && n !== 10 && n !== 16 && n !== 17) return null;
  const lower = name.toLowerCase();
  switch (lower) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return lower;
    default:
      return null;
  }
}

/**
 * The headers a response passes on, flat as Node's `writeHead` takes them: the target's raw
 * headers without the hop-by-hop ones (nor those its Connection header names), then the cookies
 * a sticky pick gave (`cookies`). Records the Keep-Alive hint on the answer.
 */
export function passedHeaders(answer: Answer, cookies: readonly string[] | null): string[] {
  const raw = answer.rawHeaders;
  const out: string[] = [];
  let hint: string | null = null;
  let named: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const hop = hopByHop(name);
    if (hop === null) out.push(name, raw[i + 1]!);
    else if (hop === 'keep-alive') hint = raw[i + 1]!;
    else if (hop === 'connection') {
      const v = raw[i + 1]!;
      // Most targets say only keep-alive or close, which name no header.
      if (v !== 'keep-alive' && v !== 'close' && v !== 'Keep-Alive' && v !== 'Close')
        named = named === null ? v : `${named},${v}`;
    }
  }
  answer[HINT] = hint;
  if (named !== null) dropNamed(out, named);
  if (cookies !== null) for (const c of cookies) out.push('Set-Cookie', c);
  return out;
}

/** Removes the headers a Connection header names. */
function dropNamed(out: string[], connection: string): void {
  const names = new Set(namedByConnection(connection));
  if (names.size === 0) return;
  let w = 0;
  for (let r = 0; r < out.length; r += 2) {
    if (names.has(out[r]!.toLowerCase())) continue;
    out[w++] = out[r]!;
    out[w++] = out[r + 1]!;
  }
  out.length = w;
}

/** Where an answer's body goes: set by `respond`, read by the shared body handlers below. */
const TO = Symbol('switchyard.to');
type Flowing = Answer & { [TO]?: http.ServerResponse };

/**
 * The body, chunk by chunk, with backpressure: what `pipe` does for one source and one
 * destination, with three shared handlers instead of seven listeners made and removed per
 * response. A client gone mid-answer is handled where the response closes (flight.ts destroys
 * the answer, freeing the target's connection), so a chunk that comes after is dropped.
 */
function onAnswerData(this: Flowing, chunk: Buffer): void {
  const res = this[TO]!;
  if (res.destroyed) return;
  if (!res.write(chunk)) {
    this.pause();
    res.once('drain', onClientDrain);
  }
}

function onClientDrain(this: http.ServerResponse): void {
  (this.req as Req)[FLIGHT]?.answer?.resume();
}

function onAnswerEnd(this: Flowing): void {
  const res = this[TO]!;
  if (!res.destroyed) res.end();
}

/** The target's connection closed before its answer was whole: the client's is cut too, so it sees the answer is short. */
function onAnswerClose(this: Flowing): void {
  if (!this.complete) this[TO]!.destroy();
}

/**
 * Every http-proxy instance's `proxyRes` handler: status and headers in one `writeHead`, then the
 * body. Headers the client cannot be sent (Node refuses them) end the response as 502.
 */
export function respond(
  answer: http.IncomingMessage,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  if (res.headersSent) {
    // The proxy already answered (a body over the limit): the target's answer has nowhere to go.
    answer.resume();
    return;
  }
  const headers = passedHeaders(answer, givenCookies(req));
  const status = answer.statusCode ?? 502;
  try {
    if (answer.statusMessage) res.writeHead(status, answer.statusMessage, headers);
    else res.writeHead(status, headers);
  } catch {
    answer.destroy();
    res.statusMessage = '';
    res.shouldKeepAlive = false;
    sendJson(res, 502, BAD_GATEWAY);
    return;
  }
  const f = (req as Req)[FLIGHT];
  if (f !== undefined) f.answer = answer;
  (answer as Flowing)[TO] = res;
  answer.on('data', onAnswerData);
  answer.on('end', onAnswerEnd);
  answer.on('close', onAnswerClose);
}
