/** The `?` overlay: every binding of the keymap and the `:` line's verbs, in one or two columns. */
import { memo } from 'react';
import { Box } from 'ink';
import { KEYMAP, SCOPE_TITLES, type Scope } from '../keymap.js';
import { LINE_HELP } from '../command-line.js';
import { padEnd, truncate } from '../format.js';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface HelpOverlayProps {
  readonly width: number;
  /** Lines available. */
  readonly height: number;
  readonly scroll: number;
}

type Entry =
  | { readonly kind: 'title'; readonly text: string }
  | { readonly kind: 'key' | 'verb'; readonly keys: string; readonly help: string };

/** Sections in order; the dialogs and the overlays share one (so that every key fits 80x24 in two columns). */
const ORDER: readonly (readonly Scope[])[] = [
  ['services'],
  ['targets'],
  ['apps'],
  ['deployments'],
  ['global'],
  ['dialog', 'help'],
];
const KEYS_W = 10;
/** The `:` line's verbs are longer than keys (`remove-target`). */
const VERB_W = 13;
/** Narrower than this, one column that scrolls. */
const TWO_COLUMNS_FROM = 80;

/** Every binding of the keymap, by where it works; with `verbs`, the `:` line's verbs after them. */
export function helpEntries(verbs = false): Entry[] {
  const out: Entry[] = [];
  for (const scopes of ORDER) {
    out.push({ kind: 'title', text: scopes.map((s) => SCOPE_TITLES[s]).join(', ') });
    for (const scope of scopes)
      for (const b of KEYMAP)
        if (b.scope === scope) out.push({ kind: 'key', keys: b.keys.join(' '), help: b.help });
  }
  if (verbs) {
    out.push({ kind: 'title', text: 'The : line (tab completes, ↑ recalls)' });
    for (const [keys, help] of LINE_HELP) out.push({ kind: 'verb', keys, help });
  }
  return out;
}

/** One or two columns, and how far they scroll when even that does not fit. */
export function helpLayout(
  width: number,
  height: number,
): { columns: Entry[][]; overflow: number; colWidth: number } {
  // The `:` line's verbs where they fit without scrolling; elsewhere its footer lists them as you type.
  const withVerbs = layoutOf(helpEntries(true), width, height);
  return withVerbs.overflow === 0 ? withVerbs : layoutOf(helpEntries(false), width, height);
}

function layoutOf(
  entries: Entry[],
  width: number,
  height: number,
): { columns: Entry[][]; overflow: number; colWidth: number } {
  const h = Math.max(1, height);
  if (entries.length <= h || width < TWO_COLUMNS_FROM)
    return { columns: [entries], overflow: Math.max(0, entries.length - h), colWidth: width - 1 };
  // Two columns: break at the section title nearest the middle when both halves fit, else at the middle.
  const half = Math.ceil(entries.length / 2);
  let cut = half;
  let best = Infinity;
  entries.forEach((e, i) => {
    if (e.kind === 'title' && i > 0 && i <= h && entries.length - i <= h && Math.abs(i - half) < best) {
      best = Math.abs(i - half);
      cut = i;
    }
  });
  const second = entries.slice(cut);
  if (second[0]?.kind !== 'title') {
    const title = [...entries.slice(0, cut)].reverse().find((e) => e.kind === 'title');
    if (title?.kind === 'title') second.unshift({ kind: 'title', text: `${title.text} (cont.)` });
  }
  const columns = [entries.slice(0, cut), second];
  const tallest = Math.max(...columns.map((c) => c.length));
  return { columns, overflow: Math.max(0, tallest - h), colWidth: Math.floor((width - 1) / 2) };
}

/** The `?` overlay: every key of the keymap, grouped by where it works. */
export const HelpOverlay = memo(function HelpOverlay({ width, height, scroll }: HelpOverlayProps) {
  const theme = useTheme();
  const { columns, colWidth } = helpLayout(width, height);
  return (
    <Box flexDirection="row">
      {columns.map((col, ci) => (
        <Box key={ci} flexDirection="column" width={colWidth}>
          {col.slice(scroll, scroll + Math.max(1, height)).map((e, i) =>
            e.kind === 'title' ? (
              <Line
                key={i}
                segments={[
                  {
                    text: truncate(` ${e.text}`, colWidth - 1),
                    bold: true,
                    color: theme.tone('title'),
                    underline: true,
                  },
                ]}
              />
            ) : (
              <Line
                key={i}
                segments={[
                  { text: `  ${padEnd(e.keys, e.kind === 'verb' ? VERB_W : KEYS_W)} `, bold: true, color: theme.tone('accent') },
                  { text: truncate(e.help, Math.max(0, colWidth - (e.kind === 'verb' ? VERB_W : KEYS_W) - 4)) },
                ]}
              />
            ),
          )}
        </Box>
      ))}
    </Box>
  );
});
