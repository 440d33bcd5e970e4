/**
 * Test helpers for the UI: poll for content instead of sleeping blindly (after Shopify/cli's
 * testing/ui.ts), real HTTP through the proxy, and the key sequences a terminal sends.
 */
import http from 'node:http';

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  shiftRight: '\u001b[1;2C',
  shiftLeft: '\u001b[1;2D',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** One turn of the event loop: lets Ink attach its input listeners after a render. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Polls `check` until it returns something truthy, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  check: () => T | undefined | null | false,
  what: string | (() => string),
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Waits until the last frame contains `text` (a string or a pattern); returns the frame, without ANSI codes. */
export async function waitForContent(
  lastFrame: () => string | undefined,
  text: string | RegExp,
  timeoutMs = 5000,
): Promise<string> {
  let frame = '';
  return waitFor(
    () => {
      frame = stripAnsi(lastFrame() ?? '');
      return (typeof text === 'string' ? frame.includes(text) : text.test(frame)) ? frame : undefined;
    },
    () => `${String(text)} in the frame:\n${frame}`,
    timeoutMs,
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: '/', agent, headers: { host }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `n` requests one after another through the proxy and counts the bodies by their first word (the colour). */
export async function countColours(
  proxyUrl: string,
  host: string,
  n: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(proxyUrl, host);
    const key = r.status === 200 ? (r.body.split(' ')[0] ?? '') : `HTTP ${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function closeAgent(): void {
  agent.destroy();
}
