/** Key events as Ink reports them: an empty one to build on, and a burst of characters taken one key at a time. */
import type { Key } from 'ink';

/** A key event with nothing pressed: the base of every synthesised one. */
export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key a single character stands for, as Ink would report it typed alone. */
export function keyOf(ch: string): Key {
  const code = ch.charCodeAt(0);
  if (ch === '\t') return { ...NO_KEY, tab: true };
  if (ch === '\r' || ch === '\n') return { ...NO_KEY, return: true };
  if (ch === '\u007f' || ch === '\b') return { ...NO_KEY, delete: true };
  if (code < 0x20) return { ...NO_KEY, ctrl: true };
  return { ...NO_KEY, shift: /^[A-Z]$/.test(ch) };
}

/**
 * Ink hands over several characters that arrive together (a paste, keys sent by a script) as one
 * string; they are taken one key at a time, so `:split demo blue=50⏎` pasted in works as typed.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta || key.escape) return [[input, key]];
  return chars.map((ch) => {
    const k = keyOf(ch);
    // Ink reports ctrl-letter with the letter as input.
    return [k.ctrl ? String.fromCharCode(ch.charCodeAt(0) + 96) : ch, k];
  });
}
