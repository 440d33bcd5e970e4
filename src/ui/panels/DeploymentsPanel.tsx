/** The deployments pane's view: each open deployment, its apps and the words of deployment-words.ts, wrapped and fitted to the lines it has. */
import { memo, type ReactElement } from 'react';
import { Box } from 'ink';
import { fmtCount, fmtRate, padEnd, padStart, truncate, width as cells, wrap } from '../format.js';
import { SYMBOLS, useTheme, type Theme, type Tone } from '../theme.js';
import { deploymentParagraphs, type Paragraph } from '../deployment-words.js';
import type { Health } from '../view/common.js';
import type { DeploySide, DeploymentRow } from '../view/deployments.js';
import { Line, type Segment } from './Line.js';
import { SectionTitle } from './SectionTitle.js';

export interface DeploymentsPanelProps {
  readonly rows: readonly DeploymentRow[];
  readonly cursor: number;
  readonly focused: boolean;
  readonly filter: string;
  readonly width: number;
  /** Lines for the deployments; 0 shows the title only. */
  readonly height: number;
}

const STATES: Readonly<Record<string, Health>> = {
  deploying: { tone: 'pending', symbol: 'pending', word: 'deploying' },
  pending: { tone: 'pending', symbol: 'pending', word: 'pending' },
  resuming: { tone: 'pending', symbol: 'pending', word: 'resuming' },
  resumed: { tone: 'live', symbol: 'live', word: 'resumed' },
  aborted: { tone: 'stopped', symbol: 'stopped', word: 'aborted' },
  failed: { tone: 'failing', symbol: 'failing', word: 'failed' },
};

/** Where a paragraph's text starts: after `  r resume   ` or a plain indent. */
const KEYED_INDENT = 14;
const PLAIN_INDENT = 4;

function paragraphIndent(p: Paragraph): number {
  return p.key ? KEYED_INDENT : PLAIN_INDENT;
}

/** A paragraph's text, wrapped to the panel's width. */
function paragraphLines(p: Paragraph, width: number): string[] {
  return wrap(p.text, width - 1 - paragraphIndent(p));
}

/** Lines of a deployment shown in full at `width`: its header, the old and new app of each module, its paragraphs. */
function deploymentLines(row: DeploymentRow, width: number): number {
  const modules = row.modules.reduce((a, m) => a + (m.old ? 2 : 1), 0);
  return 1 + modules + deploymentParagraphs(row).reduce((a, p) => a + paragraphLines(p, width).length, 0);
}

/** The deployments that wait for a decision or a cleanup, so that the lines below can be shown all at once. */
export function wantedLines(rows: readonly DeploymentRow[], width: number): number {
  return rows.reduce((a, r) => a + deploymentLines(r, width), 0);
}

/**
 * Blue-green deployments that need a decision: each with its id, the old and the new version,
 * both apps' live numbers and routes, and what `r`, `a` (and after an abort `c`) will do, spelled
 * out before the key is pressed. When space is short, the one under the cursor is shown in full
 * and the others by their first line.
 */
export const DeploymentsPanel = memo(function DeploymentsPanel({ rows, cursor, focused, filter, width, height }: DeploymentsPanelProps) {
  const theme = useTheme();
  const decide = rows.some((r) => r.can.resume || r.can.abort);
  const tidy = rows.some((r) => r.can.cleanup);
  const hint = focused ? '' : decide ? 'tab here to resume or abort' : tidy ? 'tab here to clean up' : '';
  const noteBase = [filter ? `/${filter}` : '', hint].filter(Boolean);
  if (height <= 0)
    return (
      <SectionTitle
        title="Deployments"
        focused={focused}
        note={[...noteBase, `${rows.length} open`].join('  ')}
        width={width}
      />
    );
  const all = rows.reduce((a, r) => a + deploymentLines(r, width), 0) <= height;
  const lines: ReactElement[] = [];
  let from = 0;
  rows.forEach((row, i) => {
    const selected = i === cursor;
    if (selected) from = lines.length;
    const b = block(row, selected, focused, width, theme, all || selected);
    // Short of room, a block keeps what the keys there need: with the keys, what r and a will
    // do; without, the apps (the title says where to go to decide).
    const room = all ? Infinity : height - (rows.length - 1);
    let parts = [...b.head, ...b.sides, ...b.words];
    if (parts.length > room) {
      if (focused)
        parts = [...b.head, ...b.sides.slice(0, Math.max(0, room - 1 - b.words.length)), ...b.words];
      else if (1 + b.sides.length <= room) parts = [...b.head, ...b.sides];
      else parts = [...block(row, selected, focused, width, theme, false).head];
    }
    lines.push(...parts);
  });
  const start = Math.max(0, Math.min(from, lines.length - height));
  const cut = lines.length > height;
  const note = cut && rows.length > 1 ? `${Math.min(cursor + 1, rows.length)} of ${rows.length}` : '';
  return (
    <Box flexDirection="column">
      <SectionTitle
        title="Deployments"
        focused={focused}
        note={[...noteBase, note].filter(Boolean).join('  ')}
        width={width}
      />
      {rows.length === 0 ? (
        <Line segments={[{ text: `  nothing matches /${filter}`, dim: true }]} />
      ) : (
        lines.slice(start, start + height)
      )}
    </Box>
  );
});

interface Block {
  readonly head: readonly ReactElement[];
  readonly sides: readonly ReactElement[];
  readonly words: readonly ReactElement[];
}

function block(
  row: DeploymentRow,
  selected: boolean,
  focused: boolean,
  width: number,
  theme: Theme,
  full: boolean,
): Block {
  const d = row.deployment;
  const state = STATES[d.state] ?? STATES.pending!;
  const step = d.state === 'resuming' && d.steps && d.step !== null ? ` ${d.steps[d.step]}%` : '';
  const versions = `${row.oldVersion ?? (row.modules.some((m) => m.old) ? '?' : '–')} → ${d.version ?? '?'}`;
  const header: Segment[] = [
    { text: selected ? `${SYMBOLS.cursor} ` : '  ', bold: true, color: theme.tone('accent') },
    { text: d.id, bold: true, inverse: selected && focused },
    { text: `  ${d.mta} `, bold: true },
    { text: versions },
    { text: `  ${SYMBOLS[state.symbol]} ${state.word}${step}`, color: theme.tone(state.tone), bold: true },
  ];
  if (!full) {
    const summary = row.modules.map((m) => (m.old ? `${m.old.name} → ${m.new.name}` : m.new.name)).join(', ');
    header.push({ text: `  ${summary}`, dim: true });
    return { head: [<Line key={`${d.id}`} segments={header} />], sides: [], words: [] };
  }
  const names = row.modules.flatMap((m) => [m.new.name, m.old?.name ?? '']);
  const nameW = Math.max(8, Math.min(28, Math.max(...names.map(cells))));
  const sides: ReactElement[] = [];
  row.modules.forEach((m, i) => {
    if (m.old)
      sides.push(sideLine(`${d.id}/${i}/old`, 'old', m.old, m.module.temp_routes, nameW, width, theme));
    sides.push(sideLine(`${d.id}/${i}/new`, 'new', m.new, m.module.temp_routes, nameW, width, theme));
  });
  const words: ReactElement[] = [];
  deploymentParagraphs(row).forEach((p, i) => {
    const indent = paragraphIndent(p);
    paragraphLines(p, width).forEach((text, j) => {
      const lead: Segment[] =
        p.key && j === 0
          ? [
              { text: '  ' },
              { text: p.key, bold: true, color: theme.tone('accent') },
              { text: ` ${padEnd(p.label ?? '', indent - 5)} `, bold: true },
            ]
          : [{ text: ' '.repeat(indent) }];
      words.push(
        <Line
          key={`${d.id}/p${i}/${j}`}
          segments={[...lead, { text, color: p.tone ? theme.tone(p.tone as Tone) : undefined }]}
        />,
      );
    });
  });
  return { head: [<Line key={`${d.id}`} segments={header} />], sides, words };
}

/** `  old shop-web-blue   ● 2/2   12.3/s   1234 req  shop.example.com 100%` */
function sideLine(
  key: string,
  label: 'old' | 'new',
  side: DeploySide,
  temps: readonly string[],
  nameW: number,
  width: number,
  theme: Theme,
): ReactElement {
  const lead: Segment[] = [
    { text: `  ${label} `, dim: true },
    { text: padEnd(side.name, nameW), color: theme.upstream(side.name, label === 'old' ? 0 : 1), bold: true },
  ];
  const r = side.row;
  if (!r) return <Line key={key} segments={[...lead, { text: '  (deleted)', dim: true }]} />;
  const used = 2 + 4 + nameW + 2 + 6 + 9 + 10 + 2;
  // The temporary routes first: that is where the new version answers now.
  const routes = [...r.routes].sort(
    (a, b) => Number(temps.includes(b.route)) - Number(temps.includes(a.route)),
  );
  const routeText = routes.map((x) => `${x.route} ${x.percent}%`).join(' · ') || '– (no route)';
  return (
    <Line
      key={key}
      segments={[
        ...lead,
        { text: '  ' },
        {
          text: padEnd(`${SYMBOLS[r.health.symbol]} ${r.healthy}/${r.total}`, 6),
          color: theme.tone(r.health.tone),
        },
        { text: padStart(`${fmtRate(r.rate)}/s`, 9) },
        { text: padStart(`${fmtCount(r.requests)} req`, 10) },
        { text: '  ' },
        {
          text: truncate(routeText, Math.max(0, width - 1 - used)),
          dim: r.routes.every((x) => x.percent === 0),
        },
      ]}
    />
  );
}
