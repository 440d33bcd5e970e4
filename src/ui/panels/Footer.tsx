/** The footer: the keymap's items for where the cursor is, laid out in the lines it has. */
import { memo } from 'react';
import { Box } from 'ink';
import { footerItems, type FooterItem, type KeyContext, type Scope } from '../keymap.js';
import { truncate, width as cells } from '../format.js';
import { useTheme } from '../theme.js';
import { Line, type Segment } from './Line.js';

export interface FooterProps {
  /** The scopes whose keys work now, most specific first. */
  readonly scopes: readonly Scope[];
  readonly context: KeyContext;
  readonly width: number;
  /** Lines it may use. @default 1 */
  readonly lines?: number;
  /** A line said before the keys (the `:` line's verbs or the usage of the one typed). */
  readonly hint?: string | undefined;
}

/** Kept in view whatever else must go. */
const ALWAYS = new Set(['?', 'q', 'esc', 'enter']);

const size = (i: FooterItem) => cells(i.keys) + 1 + cells(i.label) + 2;

/** Fills `lines` lines of `width` with items in order; the ALWAYS items are placed first, at the end. */
export function layoutFooter(items: readonly FooterItem[], width: number, lines: number): FooterItem[][] {
  if (lines > 1 && items.reduce((a, i) => a + size(i), 0) <= width - 2) return layoutFooter(items, width, 1);
  const must = items.filter((i) => ALWAYS.has(i.keys.split('/')[0] as string));
  const rest = items.filter((i) => !must.includes(i));
  const room = Array.from({ length: Math.max(1, lines) }, () => width - 2);
  const out: FooterItem[][] = room.map(() => []);
  const last = room.length - 1;
  room[last] = (room[last] as number) - must.reduce((a, i) => a + size(i), 0);
  let line = 0;
  for (const item of rest) {
    while (line <= last && size(item) > (room[line] as number)) line++;
    if (line > last) break;
    room[line] = (room[line] as number) - size(item);
    out[line]?.push(item);
  }
  out[last]?.push(...must);
  return out.filter((l, i) => l.length > 0 || i === 0);
}

/** The keys that work where the cursor is; `? help` and `q quit` always stay in view. */
export const Footer = memo(function Footer({ scopes, context, width, lines = 1, hint }: FooterProps) {
  const theme = useTheme();
  const items = footerItems(scopes, context);
  if (hint !== undefined) {
    // The hint takes what the keys leave (one line), or a line of its own when there are two.
    const keys = layoutFooter(items, width, 1)[0] ?? [];
    const keysW = keys.reduce((a, i) => a + size(i), 0);
    const own = lines > 1;
    const hintSeg: Segment = { text: ` ${truncate(hint, own ? width - 2 : Math.max(0, width - 3 - keysW))}`, dim: true };
    const keySegs: Segment[] = keys.flatMap((i) => [
      { text: i.keys, bold: true, color: theme.tone('accent') },
      { text: ` ${i.label}  `, dim: true },
    ]);
    return own ? (
      <Box flexDirection="column">
        <Line segments={[hintSeg]} />
        <Line segments={[{ text: ' ' }, ...keySegs]} />
      </Box>
    ) : (
      <Line segments={[{ text: ' ' }, ...keySegs, hintSeg]} />
    );
  }
  const rows = layoutFooter(items, width, lines);
  return (
    <Box flexDirection="column">
      {rows.map((row, n) => {
        const segs: Segment[] = [{ text: ' ' }];
        for (const i of row)
          segs.push(
            { text: i.keys, bold: true, color: theme.tone('accent') },
            { text: ` ${i.label}  `, dim: true },
          );
        return <Line key={n} segments={segs} />;
      })}
    </Box>
  );
});
