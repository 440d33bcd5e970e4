/** The apps pane's view: renders the rows view/apps.ts makes (state, instances, rate, routes), nothing more. */
import { memo } from 'react';
import { Box } from 'ink';
import { fmtRate, padEnd, padStart, truncate, width as cells } from '../format.js';
import { SYMBOLS, useTheme } from '../theme.js';
import type { AppRow } from '../view/apps.js';
import { Line, type Segment } from './Line.js';
import { SectionTitle } from './SectionTitle.js';
import { windowOf } from './window.js';

export interface AppsPanelProps {
  readonly rows: readonly AppRow[];
  readonly cursor: number;
  readonly focused: boolean;
  readonly filter: string;
  readonly width: number;
  /** Lines for rows (the header line comes on top); 0 shows the title only. */
  readonly height: number;
}

const STATE_W = 10;
const INST_W = 5;
const RATE_W = 7;

/** Counts by state for the title: `3 started · 1 stopped`. */
function summary(rows: readonly AppRow[]): string {
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.health.word, (by.get(r.health.word) ?? 0) + 1);
  return [...by].map(([word, n]) => `${n} ${word}`).join(' · ');
}

/** Apps (Kf): state, instances that answer, requests per second, and the routes each is on with its share. */
export const AppsPanel = memo(function AppsPanel({ rows, cursor, focused, filter, width, height }: AppsPanelProps) {
  const theme = useTheme();
  const { start, end, note } = windowOf(rows.length, cursor, height);
  const nameW = Math.max(
    8,
    Math.min(28, Math.floor(width * 0.3), Math.max(3, ...rows.map((r) => cells(r.name)))),
  );
  const routesW = Math.max(0, width - 1 - nameW - 1 - STATE_W - 1 - INST_W - RATE_W - 2);
  const titleNote = [filter ? `/${filter}` : '', note, summary(rows)].filter(Boolean).join('  ');
  if (height <= 0)
    return (
      <SectionTitle title="Apps" focused={focused} note={[titleNote, 'tab shows'].join('  ')} width={width} />
    );
  const header =
    padEnd('APP', nameW) +
    ' ' +
    padEnd('STATE', STATE_W) +
    ' ' +
    padStart('INST', INST_W) +
    padStart('REQ/S', RATE_W) +
    '  ' +
    'ROUTES (SHARE)';
  return (
    <Box flexDirection="column">
      <SectionTitle title="Apps" focused={focused} note={titleNote} width={width} />
      <Line segments={[{ text: header, dim: true, bold: true }]} />
      {rows.length === 0 ? (
        <Line segments={[{ text: `  nothing matches /${filter}`, dim: true }]} />
      ) : (
        rows.slice(start, end).map((row, i) => {
          const selected = start + i === cursor;
          const tone = theme.tone(row.health.tone);
          const segs: Segment[] = [
            {
              text: padEnd(row.name, nameW),
              bold: selected,
              inverse: selected && focused,
              underline: selected && !focused,
              color: row.health.tone === 'stopped' ? tone : undefined,
            },
            { text: ' ' },
            {
              text: padEnd(`${SYMBOLS[row.health.symbol]} ${row.health.word}`, STATE_W),
              color: tone,
              bold: row.health.tone === 'failing',
            },
            { text: ' ' },
            {
              text: padStart(`${row.healthy}/${row.total}`, INST_W),
              color:
                row.healthy < row.total && row.app.state === 'started'
                  ? theme.tone(row.health.tone === 'failing' ? 'failing' : 'pending')
                  : undefined,
            },
            { text: padStart(fmtRate(row.rate), RATE_W) },
            { text: '  ' },
            ...routeSegments(row, routesW, theme.tone('stopped')),
          ];
          return <Line key={row.key} segments={segs} />;
        })
      )}
    </Box>
  );
});

/** `shop.example.com 80% · my.example.com 0%`; a route that gives it nothing is gray. */
function routeSegments(row: AppRow, w: number, gray: string | undefined): Segment[] {
  if (row.routes.length === 0) return [{ text: truncate('– (no route)', w), dim: true }];
  const segs: Segment[] = [];
  let left = w;
  row.routes.forEach((r, i) => {
    if (left <= 0) return;
    const text = truncate(`${i > 0 ? ' · ' : ''}${r.route} ${r.percent}%`, left);
    left -= cells(text);
    segs.push({ text, color: r.percent === 0 ? gray : undefined, dim: r.percent === 0 && !gray });
  });
  return segs;
}
