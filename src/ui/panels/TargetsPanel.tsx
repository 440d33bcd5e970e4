/** The upstreams → targets pane's view: renders the rows view/targets.ts makes in the layout's columns. */
import { memo } from 'react';
import { Box } from 'ink';
import type { Theme } from '../theme.js';
import { fmtCount, fmtMs, fmtPct, fmtRate, padEnd, padStart, sparkline } from '../format.js';
import type { TargetColumns } from '../hooks/use-layout.js';
import { SYMBOLS, useTheme } from '../theme.js';
import type { TargetRow } from '../view/targets.js';
import { Line, type Segment } from './Line.js';
import { SectionTitle } from './SectionTitle.js';
import { windowOf } from './window.js';

export interface TargetsPanelProps {
  readonly rows: readonly TargetRow[];
  readonly cursor: number;
  readonly focused: boolean;
  readonly filter: string;
  readonly width: number;
  /** Lines for rows (the header line comes on top); 0 shows the title only. */
  readonly height: number;
  readonly columns: TargetColumns;
  /** The service the upstream shares refer to. */
  readonly serviceName: string | undefined;
  /** The demo's simulated users each upstream answered lately (absent outside the demo). */
  readonly users?: Readonly<Record<string, number>> | undefined;
}

interface Column {
  readonly key: Exclude<keyof TargetColumns, 'marker' | 'name' | 'spark'>;
  readonly header: string;
  readonly align: 'left' | 'right';
  readonly cell: (row: TargetRow, theme: Theme) => Omit<Segment, 'text'> & { readonly value: string };
}

const COLUMNS: readonly Column[] = [
  {
    key: 'weight',
    header: 'WEIGHT',
    align: 'right',
    cell: (r, t) => ({
      value: String(r.weight),
      bold: r.kind === 'upstream',
      color: r.kind === 'target' && r.weight === 0 ? t.tone('stopped') : undefined,
    }),
  },
  { key: 'conf', header: 'CONF', align: 'right', cell: (r) => ({ value: fmtPct(r.conf) }) },
  {
    key: 'obs',
    header: 'OBS',
    align: 'right',
    cell: (r, t) => ({ value: fmtPct(r.obs), color: t.tone('muted') }),
  },
  {
    key: 'health',
    header: 'HEALTH',
    align: 'left',
    cell: (r, t) => ({ value: `${SYMBOLS[r.health.symbol]} ${r.health.word}`, color: t.tone(r.health.tone) }),
  },
  {
    key: 'rate',
    header: 'REQ/S',
    align: 'right',
    cell: (r) => ({ value: fmtRate(r.stats?.rate ?? 0), bold: r.kind === 'upstream' }),
  },
  {
    key: 'requests',
    header: 'REQS',
    align: 'right',
    cell: (r) => ({ value: fmtCount(r.stats?.requests ?? 0) }),
  },
  {
    key: 'ok',
    header: '2XX',
    align: 'right',
    cell: (r) => ({ value: fmtCount(r.stats?.status['2xx'] ?? 0) }),
  },
  {
    key: 'err',
    header: '5XX',
    align: 'right',
    cell: (r, t) => ({
      value: fmtCount(r.stats?.status['5xx'] ?? 0),
      color: (r.stats?.status['5xx'] ?? 0) > 0 ? t.tone('failing') : undefined,
    }),
  },
  {
    key: 'errors',
    header: 'ERRS',
    align: 'right',
    cell: (r, t) => ({
      value: fmtCount(r.stats?.errors ?? 0),
      color: (r.stats?.errors ?? 0) > 0 ? t.tone('failing') : undefined,
    }),
  },
  { key: 'p50', header: 'P50', align: 'right', cell: (r) => ({ value: fmtMs(r.stats?.p50 ?? null) }) },
  { key: 'p99', header: 'P99', align: 'right', cell: (r) => ({ value: fmtMs(r.stats?.p99 ?? null) }) },
  {
    key: 'inflight',
    header: 'INF',
    align: 'right',
    cell: (r) => ({ value: String(r.stats?.inFlight ?? 0) }),
  },
];

function fit(text: string, w: number, align: 'left' | 'right'): string {
  return ' ' + (align === 'right' ? padStart(text, w) : padEnd(text, w));
}

/** Upstreams and their targets: weight, configured vs observed share, health, live numbers and a sparkline. */
export const TargetsPanel = memo(function TargetsPanel({
  rows,
  cursor,
  focused,
  filter,
  width,
  height,
  columns: c,
  serviceName,
  users,
}: TargetsPanelProps) {
  const theme = useTheme();
  const { start, end, note } = windowOf(rows.length, cursor, height);
  const shown = COLUMNS.filter((col) => c[col.key] > 0);
  // One scale for every sparkline, so blue's and green's can be compared at a glance.
  const scale = Math.max(0, ...rows.flatMap((r) => (r.stats ? r.stats.series.slice(-c.spark) : [])));
  // Distinct users per upstream show what stickiness does: raising green's weight only moves some.
  const userNote =
    users && Object.keys(users).length
      ? `users 10s: ${Object.entries(users)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([u, n]) => `${u} ${n}`)
          .join(' · ')}`
      : '';
  const titleNote = [filter ? `/${filter}` : '', note, userNote, serviceName ? `upstream shares of ${serviceName}` : '']
    .filter(Boolean)
    .join('  ');
  const header =
    padEnd('UPSTREAM/TARGET', c.name) +
    shown.map((col) => fit(col.header, c[col.key], col.align)).join('') +
    (c.spark > 0 ? fit(c.spark >= 11 ? `LAST ${c.spark}s` : 'TREND', c.spark, 'left') : '');
  if (height <= 0)
    return (
      <SectionTitle
        title="Upstreams → targets"
        focused={focused}
        note={[filter ? `/${filter}` : '', `${rows.filter((r) => r.kind === 'upstream').length} (tab shows)`]
          .filter(Boolean)
          .join('  ')}
        width={width}
      />
    );
  return (
    <Box flexDirection="column">
      <SectionTitle title="Upstreams → targets" focused={focused} note={titleNote} width={width} />
      <Line segments={[{ text: header, dim: true, bold: true }]} />
      {rows.length === 0 ? (
        <Line
          segments={[{ text: filter ? `  nothing matches /${filter}` : '  no upstreams yet', dim: true }]}
        />
      ) : (
        rows.slice(start, end).map((row, i) => {
          const selected = start + i === cursor;
          const isUpstream = row.kind === 'upstream';
          const colour = theme.upstream(row.upstream.name, row.upstreamIndex);
          const name = isUpstream ? `${SYMBOLS.upstream} ${row.name}` : `  ${row.name}`;
          const segs: Segment[] = [
            {
              text: padEnd(name, c.name),
              color: isUpstream ? colour : row.weight === 0 ? theme.tone('stopped') : undefined,
              bold: isUpstream || selected,
              inverse: selected && focused,
              underline: selected && !focused,
            },
          ];
          for (const col of shown) {
            const { value, ...style } = col.cell(row, theme);
            segs.push({ ...style, text: fit(value, c[col.key], col.align) });
          }
          if (c.spark > 0)
            segs.push({ text: ' ' + sparkline(row.stats?.series ?? [], c.spark, scale), color: colour });
          return <Line key={row.key} segments={segs} />;
        })
      )}
    </Box>
  );
});
