/**
 * A key as the keymap writes it (`←`, `shift-←`, `⇧tab`, `ctrl-c`, `enter`, `j`, `0-9`), parsed
 * once: whether a key event is that key, and how the footer writes it, both come from here, so
 * the help can never name a key the matcher does not take.
 */
import type { Key } from 'ink';

/** The keys Ink reports by a flag rather than by the character typed. */
const NAMED = {
  '↑': 'upArrow',
  '↓': 'downArrow',
  '←': 'leftArrow',
  '→': 'rightArrow',
  enter: 'return',
  esc: 'escape',
  tab: 'tab',
  backspace: 'backspace',
} as const satisfies Record<string, keyof Key>;

type Named = (typeof NAMED)[keyof typeof NAMED];

export type KeySpec =
  /** A key Ink names; `shift` only when the spec asks for it (`shift-←`, `⇧tab`). */
  | { readonly kind: 'named'; readonly text: string; readonly key: Named; readonly shift: boolean }
  /** Characters typed (one, or a range such as `0-9`), alone or with ctrl (`ctrl-c`). */
  | {
      readonly kind: 'char';
      readonly text: string;
      readonly chars: readonly string[];
      readonly ctrl: boolean;
    };

const SHIFT = /^(?:shift-|⇧)(.+)$/;

/** Parses one key of the keymap; an unknown name is a programming error, caught when the keymap loads. */
export function parseKeySpec(text: string): KeySpec {
  const shifted = SHIFT.exec(text);
  const name = shifted ? (shifted[1] as string) : text;
  if (name in NAMED)
    return { kind: 'named', text, key: NAMED[name as keyof typeof NAMED], shift: shifted !== null };
  const range = /^(.)-(.)$/.exec(text);
  if (range) {
    const [from, to] = [(range[1] as string).charCodeAt(0), (range[2] as string).charCodeAt(0)];
    const chars = Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
    return { kind: 'char', text, chars, ctrl: false };
  }
  const ctrl = /^ctrl-(.)$/.exec(text);
  if (ctrl) return { kind: 'char', text, chars: [ctrl[1] as string], ctrl: true };
  if ([...text].length === 1 && !shifted) return { kind: 'char', text, chars: [text], ctrl: false };
  throw new Error(`keymap: cannot read the key '${text}'`);
}

function pressed(spec: Extract<KeySpec, { kind: 'named' }>, key: Key): boolean {
  // Ink reports the backspace key as delete on most terminals.
  return spec.key === 'backspace' ? key.backspace || key.delete : key[spec.key];
}

/**
 * Whether a key event is `spec`. A character is typed without ctrl or meta (or with ctrl, for
 * `ctrl-c`); a named key is taken with any modifier, unless `strict`: the scope also binds a
 * modified variant of it (`shift-←` beside `←`), and then the bare spec takes the bare key only.
 */
export function matches(spec: KeySpec, input: string, key: Key, strict: boolean): boolean {
  if (spec.kind === 'char')
    return spec.ctrl
      ? key.ctrl && spec.chars.includes(input)
      : !key.ctrl && !key.meta && spec.chars.includes(input);
  if (!pressed(spec, key)) return false;
  if (spec.shift) return key.shift;
  return !strict || (!key.shift && !key.ctrl);
}

/** How the footer writes a key (short: `⇧←` rather than `shift-←`). */
export function footerText(spec: KeySpec): string {
  return spec.text.replace('shift-', '⇧');
}
