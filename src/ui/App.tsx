/**
 * The switchyard screen: status, routes → services with their split bars, upstreams → targets
 * with live numbers, the flash/prompt line and a footer of the keys that work where the cursor is.
 * State comes from the store (every change, whoever made it) and from a stats snapshot sampled a
 * few times a second; nothing here runs per request.
 */
import { useCallback, useMemo, useState } from 'react';
import { Box, Text, useApp } from 'ink';
import type { Store } from '../core/store.js';
import { serviceLabel } from '../core/model.js';
import { width as cells } from './format.js';
import type { RateControl } from './actions.js';
import { useAppState } from './hooks/use-app-state.js';
import { useKeys } from './hooks/use-keys.js';
import { computeLayout, MIN_COLUMNS, MIN_ROWS, useTerminalSize } from './hooks/use-layout.js';
import { useStatsSnapshot, type StatsSource } from './hooks/use-stats.js';
import { useStoreState } from './hooks/use-store-state.js';
import type { KeyContext, Scope } from './keymap.js';
import { BottomLine } from './panels/BottomLine.js';
import { Footer } from './panels/Footer.js';
import { HelpOverlay, helpLayout } from './panels/HelpOverlay.js';
import { Blank } from './panels/Line.js';
import { ServicesPanel } from './panels/ServicesPanel.js';
import { StatusLine } from './panels/StatusLine.js';
import { TargetsPanel } from './panels/TargetsPanel.js';
import { colourWanted, makeTheme, ThemeContext } from './theme.js';
import { healthMap, serviceRows, targetRows } from './view-model.js';

/** What the UI needs of the engine. */
export interface UiEngine {
  readonly store: Store;
  readonly stats: StatsSource;
  readonly proxyUrl: string;
  readonly adminUrl?: string;
}

export interface AppProps {
  readonly engine: UiEngine;
  /** The demo's traffic generator: `[`/`]` change its rate. */
  readonly demo?: RateControl;
  /** After "switchyard" in the status line. @default 'demo' with a demo, else '' */
  readonly title?: string;
  /** Fixes the terminal size (tests); by default it follows the terminal. */
  readonly size?: { readonly columns: number; readonly rows: number };
  /** @default colour unless NO_COLOR is set */
  readonly colour?: boolean;
  /** Stats sampling period. @default 250 */
  readonly sampleMs?: number;
}

export function App(props: AppProps) {
  const theme = useMemo(() => makeTheme(props.colour ?? colourWanted()), [props.colour]);
  return (
    <ThemeContext.Provider value={theme}>
      <Screen {...props} />
    </ThemeContext.Provider>
  );
}

function clampIndex(i: number, n: number): number {
  return Math.max(0, Math.min(n - 1, i));
}

function Screen({ engine, demo, title, size, sampleMs }: AppProps) {
  const { exit } = useApp();
  const store = engine.store;
  const state = useStoreState(store);
  const [ui, dispatch] = useAppState();
  const live = useStatsSnapshot(engine.stats, ui.paused, sampleMs);
  const stats = live.now;
  const [rate, setRate] = useState(demo?.rate);
  const term = useTerminalSize(size);

  const services = useMemo(
    () => serviceRows(state, stats, ui.filter.services, ui.focus),
    [state, stats, ui.filter.services, ui.focus],
  );
  const service = services[clampIndex(ui.cursor.services, services.length)];
  // Health flags live on the routing table in force; it is read as often as the stats.
  const health = useMemo(() => healthMap(store.table), [store, stats, state]); // eslint-disable-line react-hooks/exhaustive-deps
  const targets = useMemo(
    () => targetRows(state, stats, health, service?.service ?? null, ui.filter.targets, live.before),
    [state, stats, health, service, ui.filter.targets, live.before],
  );
  const target = targets[clampIndex(ui.cursor.targets, targets.length)];
  const nameWidth = Math.max(0, ...targets.map((t) => cells(t.name) + 2));
  const layout = computeLayout(term.columns, term.rows, {
    services: services.length,
    targets: targets.length,
    nameWidth,
  });
  const helpOverflow = helpLayout(layout.columns, layout.helpLines).overflow;

  const quit = useCallback(() => exit(), [exit]);
  useKeys({ store, demo, ui, dispatch, services, targets, helpOverflow, onRate: setRate, quit });

  if (layout.tooSmall) {
    return (
      <Text wrap="truncate-end">
        switchyard: the terminal is {term.columns}x{term.rows}; it needs at least {MIN_COLUMNS}x{MIN_ROWS} (q
        quits)
      </Text>
    );
  }
  const width = layout.columns;
  const keyContext: KeyContext = {
    demo: demo !== undefined,
    splitSize: service?.split?.length ?? 0,
    onTarget: target?.kind === 'target',
  };
  const scopes: readonly Scope[] =
    ui.mode.kind === 'help' ? ['help'] : ui.mode.kind === 'normal' ? [ui.pane, 'global'] : ['dialog'];
  return (
    <Box flexDirection="column" width={width}>
      <StatusLine
        title={title ?? (demo ? 'demo' : '')}
        proxyUrl={engine.proxyUrl}
        adminUrl={engine.adminUrl}
        total={stats.total}
        rate={demo ? rate : undefined}
        paused={ui.paused}
        readonly={store.readonly}
        width={width}
      />
      {ui.mode.kind === 'help' ? (
        <HelpOverlay width={width} height={layout.helpLines} scroll={ui.mode.scroll} />
      ) : (
        <>
          {layout.gaps > 0 ? <Blank /> : null}
          <ServicesPanel
            rows={services}
            cursor={clampIndex(ui.cursor.services, services.length)}
            focused={ui.pane === 'services'}
            filter={ui.filter.services}
            width={width}
            height={layout.serviceLines}
            colourIndex={(name) => state.upstreams.findIndex((u) => u.name === name)}
          />
          {layout.gaps > 1 ? <Blank /> : null}
          <TargetsPanel
            rows={targets}
            cursor={clampIndex(ui.cursor.targets, targets.length)}
            focused={ui.pane === 'targets'}
            filter={ui.filter.targets}
            width={width}
            height={layout.targetLines}
            columns={layout.targets}
            serviceName={service?.service ? serviceLabel(service.service) : undefined}
          />
        </>
      )}
      <BottomLine mode={ui.mode} flash={ui.flash} width={width} />
      <Footer
        scopes={scopes}
        context={keyContext}
        width={width}
        lines={ui.mode.kind === 'help' ? 1 : layout.footerLines}
      />
    </Box>
  );
}
