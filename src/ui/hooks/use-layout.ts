/**
 * Widths and heights from the terminal size, in one place, so that every line fits the width and
 * the frame stays at most `rows - 1` tall (a taller frame makes Ink clear the screen each time).
 */
import { useCallback, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';

/** Widths of the upstreams/targets table; a numeric column of width 0 is hidden. */
export interface TargetColumns {
  readonly marker: number;
  readonly name: number;
  readonly weight: number;
  readonly conf: number;
  readonly obs: number;
  readonly health: number;
  readonly rate: number;
  readonly ok: number;
  readonly err: number;
  readonly p50: number;
  readonly p99: number;
  readonly inflight: number;
  /** 0 hides the sparkline. */
  readonly spark: number;
}

export interface Layout {
  readonly columns: number;
  readonly rows: number;
  /** Too small to show anything useful: one line says so. */
  readonly tooSmall: boolean;
  /** Lines for service rows and for upstream/target rows. */
  readonly serviceLines: number;
  readonly targetLines: number;
  /** Blank lines to put between sections when there is room. */
  readonly gaps: number;
  /** Lines for the footer's keys (1 or 2). */
  readonly footerLines: number;
  /** Lines the help overlay may use. */
  readonly helpLines: number;
  readonly targets: TargetColumns;
}

export interface Counts {
  readonly services: number;
  readonly targets: number;
  /** Longest target/upstream name. */
  readonly nameWidth: number;
}

/** Status (2), two section titles, the table header, the flash/prompt line and the footer. */
const FIXED_LINES = 7;
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;
type NumberColumn = 'weight' | 'conf' | 'obs' | 'health' | 'rate' | 'ok' | 'err' | 'p50' | 'p99' | 'inflight';
const NUMBERS: Readonly<Record<NumberColumn, number>> = {
  weight: 6,
  conf: 4,
  obs: 4,
  health: 7,
  rate: 5,
  ok: 5,
  err: 4,
  p50: 4,
  p99: 4,
  inflight: 3,
};
/** On a narrow terminal these columns go first, in this order (0 = hidden). */
const DROP_ORDER: readonly NumberColumn[] = ['inflight', 'ok', 'p50', 'obs'];
const MIN_NAME = 12;

export function computeLayout(columns: number, rows: number, counts: Counts): Layout {
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const budget = Math.max(0, rows - 1 - FIXED_LINES);
  const nS = Math.max(1, counts.services);
  const nT = Math.max(1, counts.targets);
  let serviceLines = Math.min(nS, Math.max(1, Math.floor(budget / 3)));
  const targetLines = Math.max(1, Math.min(nT, budget - serviceLines));
  serviceLines = Math.max(1, Math.min(nS, budget - targetLines));
  const spare = Math.max(0, budget - serviceLines - targetLines);
  const footerLines = spare > 0 ? 2 : 1;
  const gaps = Math.min(2, spare - (footerLines - 1));

  const numbers = { ...NUMBERS };
  // Each shown column has one space before it; the sparkline too.
  const fixedWidth = () => Object.values(numbers).reduce((a, w) => a + (w > 0 ? w + 1 : 0), 0) + 1;
  for (const col of DROP_ORDER) {
    if (columns - 1 - fixedWidth() >= MIN_NAME) break;
    numbers[col] = 0;
  }
  const marker = 0;
  const room = columns - 1 - marker - fixedWidth();
  const wantName = Math.max(MIN_NAME, Math.min(32, counts.nameWidth));
  // The sparkline gets what is left once names fit, between 4 and 30 cells.
  let name = Math.min(wantName, Math.max(8, room - 4));
  let spark = Math.min(30, room - name);
  if (spark < 4) {
    spark = 0;
    name = Math.max(8, room);
  }
  return {
    columns,
    rows,
    tooSmall,
    serviceLines,
    targetLines,
    gaps,
    footerLines,
    // Status (2), the flash line and a one-line footer.
    helpLines: Math.max(1, rows - 1 - 4),
    targets: { marker, name, ...numbers, spark },
  };
}

/** The terminal size, following resizes; `override` fixes it (tests). */
export function useTerminalSize(override?: { readonly columns: number; readonly rows: number }): {
  columns: number;
  rows: number;
} {
  const { stdout } = useStdout();
  const subscribe = useCallback(
    (onChange: () => void) => {
      stdout.on('resize', onChange);
      return () => {
        stdout.off('resize', onChange);
      };
    },
    [stdout],
  );
  const key = useSyncExternalStore(subscribe, () => `${stdout.columns || 80}x${stdout.rows || 24}`);
  if (override) return override;
  const [c, r] = key.split('x').map(Number);
  return { columns: c ?? 80, rows: r ?? 24 };
}
