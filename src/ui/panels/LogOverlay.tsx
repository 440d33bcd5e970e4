/** The log overlay: an app's last log lines, scrolled. */
import { memo } from 'react';
import { Box } from 'ink';
import type { AppStatus } from '../../apps/supervisor.js';
import { truncate } from '../format.js';
import { SYMBOLS, useTheme } from '../theme.js';
import { Line } from './Line.js';
import { SectionTitle } from './SectionTitle.js';

export interface LogOverlayProps {
  readonly app: string;
  /** The app's last log lines, oldest first. */
  readonly lines: readonly string[];
  readonly status: AppStatus | undefined;
  readonly width: number;
  /** Lines available, the title included. */
  readonly height: number;
  /** Lines scrolled up from the newest. */
  readonly scroll: number;
}

/** Lines of log the overlay shows at `height` (a crashed app's reason takes one). */
export function logRows(height: number, status: AppStatus | undefined): number {
  return Math.max(1, height - 1 - (status?.crashed ? 1 : 0));
}

/** An app's last log lines (the supervisor's), newest at the bottom; `esc` goes back. */
export const LogOverlay = memo(function LogOverlay({ app, lines, status, width, height, scroll }: LogOverlayProps) {
  const theme = useTheme();
  const rows = logRows(height, status);
  const end = Math.max(0, lines.length - scroll);
  const start = Math.max(0, end - rows);
  const shown = lines.slice(start, end);
  const note = [
    lines.length > rows ? `${start + 1}–${end} of ${lines.length}` : '',
    status?.logFile ? `file ${status.logFile}` : '',
  ]
    .filter(Boolean)
    .join('  ');
  return (
    <Box flexDirection="column">
      <SectionTitle title={`Log of ${app}`} focused note={note} width={width} />
      {status?.crashed ? (
        <Line
          segments={[
            {
              text: truncate(` ${SYMBOLS.failing} crashed: ${status.crashed.reason}`, width - 1),
              color: theme.tone('failing'),
              bold: true,
            },
          ]}
        />
      ) : null}
      {shown.length === 0 ? (
        <Line segments={[{ text: '  no lines yet', dim: true }]} />
      ) : (
        shown.map((l, i) => <Line key={start + i} segments={[{ text: ` ${l}` }]} />)
      )}
    </Box>
  );
});
