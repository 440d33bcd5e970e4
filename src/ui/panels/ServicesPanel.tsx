/** The routes → services pane's view: renders the rows view/services.ts makes, each split as a bar. */
import { memo } from 'react';
import { Box } from 'ink';
import { describeSticky } from '../../core/sticky.js';
import { barCells, fmtRate, padEnd, padStart, width as cells } from '../format.js';
import { useTheme, type Theme } from '../theme.js';
import type { ServiceRow, SplitPart } from '../view/services.js';
import { Line, type Segment } from './Line.js';
import { SectionTitle } from './SectionTitle.js';
import { windowOf } from './window.js';

export interface ServicesPanelProps {
  readonly rows: readonly ServiceRow[];
  readonly cursor: number;
  readonly focused: boolean;
  readonly filter: string;
  readonly width: number;
  /** Lines for rows; 0 shows the title only. */
  readonly height: number;
  /** The colour index of an upstream, by name. */
  readonly colourIndex: (name: string) => number;
}

const RATE_W = 9;

/**
 * Upstream names as a split row shows them: without the prefix they all share up to a `-`, `.`
 * or `_` (`checkout-blue`/`checkout-green` → `blue`/`green`): the route's label already says
 * whose they are, and the route's host needs the room more than the repetition does.
 */
export function shortNames(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  let prefix = names[0] as string;
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = Math.max(prefix.lastIndexOf('-'), prefix.lastIndexOf('.'), prefix.lastIndexOf('_')) + 1;
  if (cut === 0 || names.some((n) => n.length === cut)) return [...names];
  return names.map((n) => n.slice(cut));
}
/** The narrowest split bar worth drawing. */
const MIN_BAR = 8;

/** Routes and their services, each with its split as a bar (the Traffic Distributor's slider). */
export const ServicesPanel = memo(function ServicesPanel({
  rows,
  cursor,
  focused,
  filter,
  width,
  height,
  colourIndex,
}: ServicesPanelProps) {
  const theme = useTheme();
  const { start, end, note } = windowOf(rows.length, cursor, height);
  const labels = rows.map(labelOf);
  const pairs = rows.filter((r) => r.split?.length === 2);
  const short = (r: ServiceRow) => shortNames((r.split ?? []).map((p) => p.name));
  const leftW = Math.max(0, ...pairs.map((r) => cells(short(r)[0] ?? '') + 5));
  const rightW = Math.max(0, ...pairs.map((r) => cells(short(r)[1] ?? '') + 5));
  // The split keeps a readable bar; the labels (the hosts people look for) take the rest, up to
  // a little under half the width.
  const splitRoom = pairs.length ? leftW + rightW + 2 + MIN_BAR : MIN_BAR + 12;
  const labelW = Math.max(
    12,
    Math.min(Math.floor(width * 0.45), width - 1 - 2 - RATE_W - splitRoom, Math.max(0, ...labels.map(cells))),
  );
  const section = Math.max(10, width - 1 - labelW - 2 - RATE_W);
  const titleNote = [filter ? `/${filter}` : '', note].filter(Boolean).join('  ');
  const visible = rows.slice(start, end);
  if (height <= 0)
    return (
      <SectionTitle
        title="Routes → services"
        focused={focused}
        note={[filter ? `/${filter}` : '', `${rows.length} (tab shows)`].filter(Boolean).join('  ')}
        width={width}
      />
    );
  return (
    <Box flexDirection="column">
      <SectionTitle title="Routes → services" focused={focused} note={titleNote} width={width} />
      {rows.length === 0 ? (
        <Line
          segments={[
            {
              text: filter
                ? `  nothing matches /${filter} (esc in / clears)`
                : '  no services yet: add one with the admin API, the CLI or --config',
              dim: true,
            },
          ]}
        />
      ) : (
        visible.map((row, i) => {
          const index = start + i;
          const selected = index === cursor;
          const label: Segment = {
            text: padEnd(labels[index] as string, labelW),
            inverse: selected && focused,
            bold: selected,
            color: row.service ? undefined : theme.tone('muted'),
          };
          // A split with nowhere to send says so where its rate would be.
          const rate = padStart(row.noTarget ? 'no target' : row.stats ? `${fmtRate(row.stats.rate)}/s` : '', RATE_W);
          return (
            <Line
              key={row.key}
              segments={[
                label,
                { text: '  ' },
                ...splitSegments(row, section, leftW, rightW, theme, colourIndex),
                { text: rate, color: theme.tone(row.noTarget ? 'error' : 'muted'), bold: row.noTarget },
              ]}
            />
          );
        })
      )}
    </Box>
  );
});

function labelOf(row: ServiceRow): string {
  const routes = row.routes.length ? row.routes.join(', ') : '(no route)';
  // A sticky split says what keeps a user on its upstream.
  const how = row.service && row.split && row.split.length > 1 ? describeSticky(row.service) : '';
  const sticky = how ? `  sticky: ${how}` : '';
  // A service named after its route (map-route makes them so) is said once.
  if (row.service && row.name === routes) return routes + sticky;
  return row.service ? `${routes} → ${row.name}${sticky}` : `${routes} → (no service)`;
}

/** The split as `blue 95% ██████████▓ 5% green` (two upstreams) or `███▓▓▒ a 50% · b 30% · c 20%`. */
function splitSegments(
  row: ServiceRow,
  w: number,
  leftW: number,
  rightW: number,
  theme: Theme,
  colourIndex: (name: string) => number,
): Segment[] {
  if (!row.service) return [{ text: padEnd('', w) }];
  if (!row.split)
    return [
      { text: padEnd(`→ ${row.address ?? ''} (an address, not an upstream)`, w), color: theme.tone('muted') },
    ];
  const parts = row.split;
  const names = shortNames(parts.map((p) => p.name));
  // The shares each really gets (a stopped or down upstream none), as the proxy routes.
  const pct = parts.map((p) => p.percent);
  const colour = (p: SplitPart) => theme.upstream(p.name, colourIndex(p.name));
  const total = parts.reduce((a, p) => a + p.weight, 0);
  if (parts.length === 2) {
    const [a, b] = parts as [SplitPart, SplitPart];
    const barW = Math.max(4, w - leftW - rightW - 2);
    return [
      {
        text: padStart(`${names[0]} ${pct[0]}%`, leftW),
        color: colour(a),
        bold: (pct[0] ?? 0) > 0 && !a.idle,
        dim: (pct[0] ?? 0) === 0 || a.idle,
      },
      { text: ' ' },
      ...bar(parts, barW, theme, colour),
      { text: ' ' },
      {
        text: padEnd(`${pct[1]}% ${names[1]}`, rightW),
        color: colour(b),
        bold: (pct[1] ?? 0) > 0 && !b.idle,
        dim: (pct[1] ?? 0) === 0 || b.idle,
      },
      { text: padEnd('', w - leftW - rightW - 2 - barW) },
    ];
  }
  const legend: Segment[] = [];
  parts.forEach((p, i) => {
    if (i > 0) legend.push({ text: ' · ', dim: true });
    const focused = parts.length > 2 && i === row.focus;
    legend.push({
      text: `${focused ? '›' : ''}${names[i]} ${pct[i]}%`,
      color: colour(p),
      bold: focused,
      underline: focused,
    });
  });
  const legendW = legend.reduce((a, s) => a + cells(s.text), 0);
  const barW = Math.max(4, Math.min(40, w - legendW - 2));
  const segs: Segment[] = [...bar(parts, barW, theme, colour), { text: '  ' }, ...legend];
  if (total === 0) segs.push({ text: '  (all weights 0: no traffic)', color: theme.tone('stopped') });
  const used = segs.reduce((a, s) => a + cells(s.text), 0);
  segs.push({ text: padEnd('', Math.max(0, w - used)) });
  return segs;
}

function bar(
  parts: readonly SplitPart[],
  w: number,
  theme: Theme,
  colour: (p: SplitPart) => string | undefined,
): Segment[] {
  const total = parts.reduce((a, p) => a + p.share, 0);
  if (total === 0) return [{ text: '░'.repeat(w), color: theme.tone('stopped') }];
  const cellsOf = barCells(
    parts.map((p) => p.share),
    w,
  );
  return parts
    .map((p, i) => ({ text: theme.barGlyph(i).repeat(cellsOf[i] ?? 0), color: colour(p) }))
    .filter((s) => s.text.length > 0);
}
