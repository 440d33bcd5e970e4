/** The HAProxy fleet's lines: one per instance, its state and why. */
import { memo } from 'react';
import { Box } from 'ink';
import type { FleetRow } from '../fleet.js';
import { counted, padEnd, width as cells } from '../format.js';
import { SYMBOLS, useTheme, type Theme } from '../theme.js';
import { Line, type Segment } from './Line.js';
import { SectionTitle } from './SectionTitle.js';

export interface FleetPanelProps {
  /** One per instance; empty until the first report. */
  readonly rows: readonly FleetRow[];
  /** 1: one compact line; more: a title and a line per instance. */
  readonly lines: number;
  readonly width: number;
}

/** Room for `reload needed`, the longest state. */
const STATE_W = 13;
const LABEL_MAX = 30;

/** The line the section shows before the first report, and when it has one line only. */
function compact(rows: readonly FleetRow[], theme: Theme): Segment[] {
  const segs: Segment[] = [{ text: ' HAProxy ', bold: true, color: theme.tone('title') }];
  if (rows.length === 0) return [...segs, { text: ' reading the instances…', dim: true }];
  const fine = rows.filter((r) => r.state === 'in sync');
  if (fine.length > 0)
    segs.push(
      { text: ` ${SYMBOLS.live} ${fine.length} in sync`, color: theme.tone('live') },
      { text: fine.length === rows.length ? ` (${fine.map((r) => r.label).join(', ')})` : '', dim: true },
    );
  // The worst news first: what is cut at the end of the line is the least of it.
  const problems = rows.filter((r) => r.state !== 'in sync');
  for (const r of [
    ...problems.filter((p) => p.tone === 'failing'),
    ...problems.filter((p) => p.tone !== 'failing'),
  ]) {
    segs.push(
      { text: `  ${SYMBOLS[r.symbol]} ${r.label} ${r.state}`, color: theme.tone(r.tone), bold: true },
      { text: r.detail ? `: ${r.detail}` : '', color: r.tone === 'failing' ? theme.tone(r.tone) : undefined },
    );
  }
  return segs;
}

/** Each HAProxy instance: ● in sync, ✗ unreachable or refused, ◐ drift, reload needed or syncing, and why. */
export const FleetPanel = memo(function FleetPanel({ rows, lines, width }: FleetPanelProps) {
  const theme = useTheme();
  if (lines <= 1 || rows.length === 0) return <Line segments={compact(rows, theme)} />;
  const reachable = rows.filter((r) => r.state !== 'unreachable').length;
  const labelW = Math.min(LABEL_MAX, Math.max(...rows.map((r) => cells(r.label))));
  const drift = rows.some((r) => r.state === 'drift' || r.state === 'refused');
  const note = `${counted(rows.length, 'instance')}, ${reachable} reachable${drift ? ' · A applies again' : ''}`;
  return (
    <Box flexDirection="column">
      <SectionTitle title="HAProxy instances" focused={false} note={note} width={width} />
      {rows.slice(0, lines - 1).map((r) => (
        <Line
          key={r.id}
          segments={[
            { text: ` ${SYMBOLS[r.symbol]} `, color: theme.tone(r.tone), bold: true },
            { text: padEnd(r.label, labelW) },
            {
              text: `  ${padEnd(r.state, STATE_W)}  `,
              color: theme.tone(r.tone),
              bold: r.state !== 'in sync',
            },
            {
              text: r.detail,
              color: r.tone === 'failing' ? theme.tone('failing') : undefined,
              dim: r.state === 'in sync',
            },
          ]}
        />
      ))}
    </Box>
  );
});
