/**
 * Bounded waits for tests: wait for exactly the condition a test then asserts, never for a fixed
 * time. The bounds are generous (a loaded 2-core CI machine runs 3-5x slower): a wait fails only
 * when the thing does not happen, and then says what it waited for and what it saw last.
 */

export interface WaitOptions {
  /** @default 15000 */
  readonly timeoutMs?: number;
  /** How often to look. @default 50 */
  readonly everyMs?: number;
  /** What was seen, for the failure message (called once, on timeout). */
  readonly seen?: () => string;
}

/**
 * Calls `check` until it returns a value other than undefined, null or false, and returns that
 * value. A `check` that throws counts as "not yet" (its last error is in the failure message).
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const seen = opts.seen ? `\nlast seen:\n${opts.seen()}` : '';
      const error = last === undefined ? '' : `\nlast error: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${error}${seen}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}

/**
 * Waits until `predicate` holds over the whole of some output (a child's stderr, a tmux pane), and
 * returns the output it held for. Fails with the output's tail.
 */
export async function waitForOutput(
  get: () => string,
  predicate: (text: string) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<string> {
  let text = '';
  return waitUntil(
    what,
    () => {
      text = get();
      return predicate(text) ? text : undefined;
    },
    { timeoutMs, everyMs: 50, seen: () => text.slice(-3000) },
  );
}
