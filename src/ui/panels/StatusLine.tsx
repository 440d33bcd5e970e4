/** The status lines at the top: where switchyard listens, the totals, the generator, the fleet. */
import { memo } from 'react';
import { Box } from 'ink';
import type { CounterSnapshot } from '../../proxy/stats.js';
import { counted, fmtCount, fmtRate, width as cells } from '../format.js';
import { SYMBOLS, useTheme } from '../theme.js';
import { Line, type Segment } from './Line.js';

export interface StatusLineProps {
  readonly title: string;
  readonly proxyUrl: string;
  /** The proxy's TLS listener (`https://127.0.0.1:8443`), when it has one. */
  readonly proxyTlsUrl?: string | null;
  readonly adminUrl: string | undefined;
  readonly total: CounterSnapshot;
  /** The totals about two seconds earlier: what the errors are now, not since the start. */
  readonly before?: CounterSnapshot;
  /** The traffic generator's rate, when there is one. */
  readonly rate: number | undefined;
  readonly paused: boolean;
  readonly readonly: boolean;
  readonly width: number;
  /**
   * With an HAProxy fleet: its instances and how many answer (null until the first report). The
   * totals are then the fleet's, which reports nothing in flight.
   */
  readonly fleet?: { readonly instances: number; readonly reachable: number } | null;
}

/** Two lines: where the proxy and admin API listen; then the totals and the generator's rate. */
export const StatusLine = memo(function StatusLine({
  title,
  proxyUrl,
  proxyTlsUrl,
  adminUrl,
  total,
  before,
  rate,
  paused,
  readonly,
  width,
  fleet,
}: StatusLineProps) {
  const theme = useTheme();
  const len = (segs: readonly Segment[]) => segs.reduce((a, s) => a + cells(s.text), 0);
  const first: Segment[] = [
    { text: ' switchyard ', bold: true, color: theme.tone('title') },
    { text: title ? `${title}  ` : ' ', bold: true },
  ];
  if (fleet === undefined) {
    first.push({ text: 'proxy ', dim: true }, { text: proxyUrl });
    if (adminUrl) first.push({ text: '  admin ', dim: true }, { text: adminUrl });
    if (readonly) first.push({ text: '  read-only', color: theme.tone('warning') });
    // The TLS listener when the line has room for it (the start banner names it in any case).
    const tls: Segment[] = proxyTlsUrl ? [{ text: '  tls ', dim: true }, { text: proxyTlsUrl }] : [];
    if (tls.length && len(first) + len(tls) <= width - 1) first.push(...tls);
  } else {
    // The traffic goes through HAProxy: the data plane comes first, the addresses when they fit whole.
    const down = fleet !== null && fleet.reachable < fleet.instances;
    first.push(
      { text: 'data plane: ', dim: true },
      fleet === null
        ? { text: 'haproxy (reading the instances…)' }
        : {
            text: `haproxy (${counted(fleet.instances, 'instance')}, ${fleet.reachable} reachable)`,
            color: down ? theme.tone('failing') : undefined,
            bold: down,
          },
    );
    if (down) first.push({ text: ` ${SYMBOLS.failing}`, color: theme.tone('failing'), bold: true });
    const optional: Segment[][] = [];
    if (readonly) optional.push([{ text: '  read-only', color: theme.tone('warning') }]);
    if (adminUrl) optional.push([{ text: '  admin ', dim: true }, { text: adminUrl }]);
    optional.push([
      { text: '  in-process proxy ', dim: true },
      { text: proxyUrl, dim: true },
    ]);
    for (const segs of optional) if (len(first) + len(segs) <= width - 1) first.push(...segs);
  }
  const errorsOf = (c: CounterSnapshot) => c.errors + c.status['5xx'];
  const errors = errorsOf(total);
  const pct = total.requests > 0 ? (errors * 100) / total.requests : 0;
  const pctText = (p: number) => (p === 0 ? '0%' : p < 0.1 ? '<0.1%' : `${p.toFixed(1)}%`);
  // Since the start says little about now: the last two seconds say whether it still fails.
  const lately = before ? { requests: total.requests - before.requests, errors: errors - errorsOf(before) } : undefined;
  const latePct = lately && lately.requests > 0 ? (Math.max(0, lately.errors) * 100) / lately.requests : 0;
  const state: Segment = paused
    ? { text: ` ${SYMBOLS.paused} paused `, color: theme.tone('pending'), bold: true, inverse: theme.colour }
    : { text: ` ${SYMBOLS.live} live `, color: theme.tone('live'), bold: true };
  // Parts in order of importance; the optional ones go first when the line is short.
  const parts: { segs: Segment[]; optional: boolean }[] = [
    {
      segs: [
        { text: '  total ', dim: true },
        { text: `${fmtRate(total.rate)} req/s`, bold: true },
      ],
      optional: false,
    },
    {
      segs: [
        { text: '  errors ', dim: true },
        {
          text: `${fmtCount(errors)}${errors > 0 ? ` (${pctText(pct)})` : ''}`,
          color: errors > 0 ? theme.tone('failing') : undefined,
          bold: errors > 0,
        },
        ...(errors > 0 && lately
          ? [
              { text: ' · now ', dim: true },
              {
                text: lately.requests > 0 ? pctText(latePct) : '–',
                color: latePct > 0 ? theme.tone('failing') : theme.tone('live'),
                bold: latePct > 0,
              },
            ]
          : []),
      ],
      optional: false,
    },
    { segs: [{ text: '  requests ', dim: true }, { text: fmtCount(total.requests) }], optional: true },
  ];
  if (fleet === undefined)
    parts.push({
      segs: [{ text: '  in flight ', dim: true }, { text: String(total.inFlight) }],
      optional: true,
    });
  if (rate !== undefined) {
    parts.push({
      segs: [
        { text: '  generator ', dim: true },
        { text: `${rate} req/s`, color: rate === 0 ? theme.tone('stopped') : undefined },
        { text: rate === 0 ? ' (stopped)' : '', color: theme.tone('stopped') },
      ],
      optional: false,
    });
  }
  let room = width - 1 - len([state]) - parts.filter((p) => !p.optional).reduce((a, p) => a + len(p.segs), 0);
  const second: Segment[] = [state];
  for (const p of parts) {
    if (p.optional) {
      if (len(p.segs) > room) continue;
      room -= len(p.segs);
    }
    second.push(...p.segs);
  }
  return (
    <Box flexDirection="column" width={width}>
      <Line segments={first} />
      <Line segments={second} />
    </Box>
  );
});
