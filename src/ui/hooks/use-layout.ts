/**
 * Widths and heights from the terminal size, in one place, so that every line fits the width and
 * the frame stays at most `rows - 1` tall (a taller frame makes Ink clear the screen each time).
 */
import { useCallback, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';
import type { Pane } from '../panes.js';

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
  /** Requests in all, and failed ones (connection and response errors): shown for an HAProxy fleet. */
  readonly requests: number;
  readonly errors: number;
  /** 0 hides the sparkline. */
  readonly spark: number;
}

/** Lines a pane gets: -1 hidden, 0 its title only, else its title (and header) and that many rows. */
export type PaneLines = Readonly<Record<Pane, number>>;

export interface Layout {
  readonly columns: number;
  readonly rows: number;
  /** Too small to show anything useful: one line says so. */
  readonly tooSmall: boolean;
  /** Lines for service rows and for upstream/target rows. */
  readonly serviceLines: number;
  readonly targetLines: number;
  /** Rows of every pane (services and targets included). */
  readonly panes: PaneLines;
  /** Blank lines to put between sections when there is room (one before each of the first `gaps` panes). */
  readonly gaps: number;
  /** Lines for the footer's keys (1 or 2). */
  readonly footerLines: number;
  /** Lines the help overlay (or an app's log) may use: all but the footer's. */
  readonly helpLines: number;
  /** Lines of the HAProxy fleet section: 0 without one, 1 compact, else a title and a line per instance. */
  readonly fleetLines: number;
  readonly targets: TargetColumns;
}

export interface Counts {
  readonly services: number;
  readonly targets: number;
  /** Longest target/upstream name. */
  readonly nameWidth: number;
  /** Rows of the apps pane; absent when it is not shown. */
  readonly apps?: number;
  /** Lines the deployments want in full, and at least; absent when the pane is not shown. */
  readonly deployments?: { readonly want: number; readonly min: number };
  /** The pane with the keyboard: its area (traffic, or apps and deployments) gets the room first. */
  readonly focus?: Pane;
  /**
   * HAProxy instances, when the data plane is a fleet: the fleet section takes one line, or a
   * title and one per instance when the panes leave room; the targets table shows requests and
   * errors instead of latency and requests in flight (which HAProxy does not report per target).
   */
  readonly fleet?: number;
}

/** Status (2), the flash/prompt line and one footer line. */
const CHROME_LINES = 4;
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;
type NumberColumn =
  | 'weight'
  | 'conf'
  | 'obs'
  | 'health'
  | 'rate'
  | 'requests'
  | 'ok'
  | 'err'
  | 'errors'
  | 'p50'
  | 'p99'
  | 'inflight';
const NUMBERS: Readonly<Record<NumberColumn, number>> = {
  weight: 6,
  conf: 4,
  obs: 4,
  health: 7,
  rate: 5,
  requests: 6,
  ok: 5,
  err: 4,
  errors: 4,
  p50: 4,
  p99: 4,
  inflight: 3,
};
/** Shown only in-process, or only for an HAProxy fleet. */
const IN_PROCESS_ONLY: readonly NumberColumn[] = ['p50', 'p99', 'inflight'];
const FLEET_ONLY: readonly NumberColumn[] = ['requests', 'errors'];
/** On a narrow terminal these columns go first, in this order (0 = hidden). */
const DROP_ORDER: readonly NumberColumn[] = ['inflight', 'requests', 'ok', 'p50', 'obs'];
const MIN_NAME = 12;

interface Need {
  readonly pane: Pane;
  /** Header lines under the title. */
  readonly header: number;
  readonly want: number;
  readonly min: number;
  readonly area: 'traffic' | 'apps';
}

/**
 * Rows for each pane. Every pane on screen gets its title, header and at least a row; when that
 * does not fit, the panes outside the focused area shrink to their title, then go. What is left
 * goes to the focused area first: routes and upstreams share theirs 1:2 as they always did, the
 * apps area gives the focused pane what it wants first (the deployments when neither has focus).
 */
function allocate(
  budget: number,
  needs: readonly Need[],
  focus: Pane,
): { lines: Record<Pane, number>; spare: number } {
  const lines: Record<Pane, number> = { services: -1, targets: -1, apps: -1, deployments: -1 };
  const focusArea = needs.find((n) => n.pane === focus)?.area ?? 'traffic';
  for (const n of needs) lines[n.pane] = n.min;
  const cost = () =>
    needs.reduce(
      (a, n) => a + (lines[n.pane] < 0 ? 0 : 1 + (lines[n.pane] > 0 ? n.header + lines[n.pane] : 0)),
      0,
    );
  const others = [...needs].reverse().filter((n) => n.area !== focusArea);
  for (const step of [0, -1]) {
    for (const n of others) if (cost() > budget) lines[n.pane] = step;
  }
  for (const n of [...needs].reverse()) if (cost() > budget && n.pane !== focus) lines[n.pane] = 0;
  let extra = budget - cost();
  const grow = (n: Need | undefined) => {
    if (!n || lines[n.pane] <= 0) return;
    const more = Math.max(0, Math.min(extra, n.want - lines[n.pane]));
    lines[n.pane] += more;
    extra -= more;
  };
  const of = (pane: Pane) => needs.find((n) => n.pane === pane);
  const traffic = () => {
    const s = of('services');
    const t = of('targets');
    if (s && t && lines.services > 0 && lines.targets > 0) {
      const rows = extra + lines.services + lines.targets;
      let sl = Math.min(s.want, Math.max(1, Math.floor(rows / 3)));
      const tl = Math.max(1, Math.min(t.want, rows - sl));
      sl = Math.max(1, Math.min(s.want, rows - tl));
      extra = rows - sl - tl;
      lines.services = sl;
      lines.targets = tl;
    } else {
      grow(s);
      grow(t);
    }
  };
  const apps = () => {
    const first = focus === 'apps' ? 'apps' : 'deployments';
    grow(of(first));
    grow(of(first === 'apps' ? 'deployments' : 'apps'));
  };
  if (focusArea === 'traffic') {
    traffic();
    apps();
  } else {
    apps();
    traffic();
  }
  return { lines, spare: extra };
}

export function computeLayout(columns: number, rows: number, counts: Counts): Layout {
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const fleet = counts.fleet;
  // The fleet's compact line is chrome; its title and per-instance lines come from what is left.
  const budget = Math.max(0, rows - 1 - CHROME_LINES - (fleet === undefined ? 0 : 1));
  const needs: Need[] = [
    { pane: 'services', header: 0, want: Math.max(1, counts.services), min: 1, area: 'traffic' },
    { pane: 'targets', header: 1, want: Math.max(1, counts.targets), min: 1, area: 'traffic' },
  ];
  if (counts.apps !== undefined)
    needs.push({ pane: 'apps', header: 1, want: Math.max(1, counts.apps), min: 1, area: 'apps' });
  if (counts.deployments)
    needs.push({
      pane: 'deployments',
      header: 0,
      want: Math.max(1, counts.deployments.want),
      min: Math.max(1, Math.min(counts.deployments.min, counts.deployments.want)),
      area: 'apps',
    });
  const allocated = allocate(budget, needs, counts.focus ?? 'services');
  const lines = allocated.lines;
  let spare = allocated.spare;
  let fleetLines = 0;
  if (fleet !== undefined) {
    fleetLines = fleet > 0 && spare >= fleet ? 1 + fleet : 1;
    spare -= fleetLines - 1;
  }
  const footerLines = spare > 0 ? 2 : 1;
  const shown = needs.filter((n) => lines[n.pane] >= 0).length;
  const gaps = Math.max(0, Math.min(shown, spare - (footerLines - 1)));

  const numbers = { ...NUMBERS };
  for (const col of fleet === undefined ? FLEET_ONLY : IN_PROCESS_ONLY) numbers[col] = 0;
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
    serviceLines: lines.services,
    targetLines: lines.targets,
    panes: lines,
    gaps,
    footerLines,
    // Overlays take the whole screen but a one-line footer.
    helpLines: Math.max(1, rows - 1 - 1),
    fleetLines,
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
