/**
 * Ink keeps three memos while it turns a frame into text: each line's styled characters (ANSI
 * tokenized), each string's printed width, each block's widest line. They are made anew for every
 * frame (`caches = new OutputCaches()` in ink/build/output.js), so a frame that differs from the
 * last by a few numbers tokenizes and measures all its 4,800 cells again: most of a frame's cost,
 * and a fixed cost per second that a busy proxy pays per request. The memos are pure functions of
 * their text, so here each frame's memos start from what the frame before used, by wrapping the
 * memo class's methods once: a frame is a new memo object (switchyard draws one Output a frame:
 * no <Static>), and what it finds in the last frame's memo it carries over, so what left the screen is dropped a frame later (a memo kept for good
 * grew with every number that ever changed: tens of MB of old objects for the GC to mark).
 * Ink's exports map hides output.js; its file URL is the very module renderer.js imports.
 * Whatever does not look as expected (another Ink) is left alone: frames are then as Ink makes them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

type Method = (this: object, key: string) => unknown;
const METHODS = ['getStyledChars', 'getStringWidth', 'getWidestLine'] as const;

let shared: Promise<boolean> | null = null;

/** Shares Ink's per-frame memos across frames; resolves with whether it could. Idempotent. */
export function shareInkCaches(): Promise<boolean> {
  shared ??= patch().catch(() => false);
  return shared;
}

async function patch(): Promise<boolean> {
  const require = createRequire(import.meta.url);
  const output = pathToFileURL(path.join(path.dirname(require.resolve('ink')), 'output.js')).href;
  const { default: Output } = (await import(output)) as {
    default: new (o: { width: number; height: number }) => { caches?: object };
  };
  const probe = new Output({ width: 1, height: 1 });
  const proto = probe.caches === undefined ? null : (Object.getPrototypeOf(probe.caches) as Record<string, unknown>);
  if (proto === null || !METHODS.every((m) => typeof proto[m] === 'function')) return false;
  for (const name of METHODS) {
    const own = proto[name] as Method;
    // The memo objects seen (a new one: a new frame), what this frame used, what the last one did.
    const frames = new WeakSet<object>();
    let now = new Map<string, unknown>();
    let last = new Map<string, unknown>();
    proto[name] = function (this: object, key: string): unknown {
      if (!frames.has(this)) {
        frames.add(this);
        last = now;
        now = new Map();
      }
      let value = now.get(key);
      if (value === undefined) {
        value = last.get(key);
        if (value === undefined) value = own.call(this, key);
        now.set(key, value);
      }
      return value;
    };
  }
  return true;
}
