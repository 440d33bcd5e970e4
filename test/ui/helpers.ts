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
  timeoutMs = 10_000,
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

/** What a frame must show: a text it contains, a pattern it matches, or a predicate over the whole frame. */
export type FrameCheck = string | RegExp | ((frame: string) => boolean);

function holds(check: FrameCheck, frame: string): boolean {
  if (typeof check === 'string') return frame.includes(check);
  if (check instanceof RegExp) return check.test(frame);
  return check(frame);
}

/** A check that holds while the frame does NOT contain (or match) `text`. */
export function absent(text: string | RegExp): FrameCheck {
  const check = (frame: string) => !holds(text, frame);
  check.toString = () => `absent: ${String(text)}`;
  return check;
}

function describeCheck(check: FrameCheck): string {
  return typeof check === 'function' ? check.toString() : String(check);
}

/**
 * Waits until the last frame satisfies every check at once; returns that frame, without ANSI
 * codes. This is the one way the UI tests read the screen: wait for exactly what you assert, in
 * the same frame, never for something that merely usually comes first. On timeout it names the
 * checks that did not hold and shows the frame.
 */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  checks: FrameCheck | readonly FrameCheck[],
  timeoutMs = 10_000,
): Promise<string> {
  const all = Array.isArray(checks) ? (checks as readonly FrameCheck[]) : [checks as FrameCheck];
  let frame = '';
  return waitFor(
    () => {
      frame = stripAnsi(lastFrame() ?? '');
      return all.every((c) => holds(c, frame)) ? frame : undefined;
    },
    () =>
      `a frame where every check holds; these did not:\n${all
        .filter((c) => !holds(c, frame))
        .map((c) => `  ${describeCheck(c)}`)
        .join('\n')}\nlast frame:\n${frame}`,
    timeoutMs,
  );
}

/** Types `key` into a rendered app, then waits for a frame where every check holds (what the test asserts, not a forerunner). */
export function press(
  r: { readonly stdin: { write(data: string): void }; readonly lastFrame: () => string | undefined },
  key: string,
  until: FrameCheck | readonly FrameCheck[],
  timeoutMs?: number,
): Promise<string> {
  r.stdin.write(key);
  return waitForFrame(r.lastFrame, until, timeoutMs);
}

/** Waits until the last frame contains `text` (a string or a pattern); returns the frame, without ANSI codes. */
export function waitForContent(
  lastFrame: () => string | undefined,
  text: string | RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  return waitFor<string>(
    () => {
      const frame = stripAnsi(lastFrame() ?? '');
      return holds(text, frame) ? frame : undefined;
    },
    () => `${String(text)} in the frame:\n${stripAnsi(lastFrame() ?? '')}`,
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
