/**
 * The switchyard screen: status, routes → services with their split bars, upstreams → targets
 * with live numbers, apps and the blue-green deployments waiting for a decision (when there are
 * any), the flash/prompt line and a footer of the keys that work where the cursor is.
 * State comes from the store (every change, whoever made it) and from a stats snapshot sampled a
 * few times a second; nothing here runs per request.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Box, Text, useApp } from 'ink';
import type { Supervisor } from '../apps/supervisor.js';
import type { Store } from '../core/store.js';
import type { DataPlane } from '../dataplane/types.js';
import { serviceLabel, type Deployment } from '../core/model.js';
import type { DeployEngine } from '../deploy/bg-deploy.js';
import { width as cells } from './format.js';
import { useAppState } from './hooks/use-app-state.js';
import { useFleet } from './hooks/use-fleet.js';
import { useKeys } from './hooks/use-keys.js';
import { computeLayout, MIN_COLUMNS, MIN_ROWS, useTerminalSize } from './hooks/use-layout.js';
import { useStatsSnapshot, type StatsSource } from './hooks/use-stats.js';
import { useStoreState } from './hooks/use-store-state.js';
import { useStable } from './stable.js';
import type { KeyContext, Scope } from './keymap.js';
import { activePane, PANES, type Pane } from './panes.js';
import type { TrafficControl } from './ports.js';
import { AppsPanel } from './panels/AppsPanel.js';
import { BottomLine } from './panels/BottomLine.js';
import { lineHint } from './command-line.js';
import { DeploymentsPanel, wantedLines } from './panels/DeploymentsPanel.js';
import { FleetPanel } from './panels/FleetPanel.js';
import { Footer } from './panels/Footer.js';
import { HelpOverlay, helpLayout } from './panels/HelpOverlay.js';
import { Blank } from './panels/Line.js';
import { LogOverlay, logRows } from './panels/LogOverlay.js';
import { ServicesPanel } from './panels/ServicesPanel.js';
import { StatusLine } from './panels/StatusLine.js';
import { TargetsPanel } from './panels/TargetsPanel.js';
import { colourWanted, makeTheme, ThemeContext } from './theme.js';
import { fleetCounts, fleetHealth, fleetRows, fleetStats } from './fleet.js';
import { openDeployments } from '../core/deployments.js';
import { tableHealth } from '../core/table.js';
import { appRows } from './view/apps.js';
import { deploymentRows, type Figures } from './view/deployments.js';
import { serviceRows } from './view/services.js';
import { targetRows } from './view/targets.js';

/** What the UI needs of the engine. */
export interface UiEngine {
  readonly store: Store;
  readonly stats: StatsSource;
  readonly proxyUrl: string;
  /** The proxy's TLS listener, when it has one. */
  readonly proxyTlsUrl?: string | null;
  readonly adminUrl?: string;
  /** App processes: their status and logs (the apps pane). */
  readonly supervisor?: Pick<Supervisor, 'status' | 'logs'>;
  /** Blue-green deployments: resume, abort, cleanup and the figures a gradual resume is judged on. */
  readonly deployer?: Pick<DeployEngine, 'deploy' | 'resume' | 'abort' | 'cleanup' | 'figures'>;
  /**
   * What carries the traffic. A fleet of HAProxy instances is read about once a second: the
   * live numbers are then its `show stat`, summed, and each instance's state shows.
   */
  readonly dataPlane?: Pick<DataPlane, 'external' | 'report' | 'reapply'>;
}

/** Lines of log kept in view (the supervisor keeps 200). */
const LOG_LINES = 200;

export interface AppProps {
  readonly engine: UiEngine;
  /** The demo's traffic generator: `[`/`]` change its rate. */
  readonly demo?: TrafficControl;
  /** After "switchyard" in the status line. @default 'demo' with a demo, else '' */
  readonly title?: string;
  /** Fixes the terminal size (tests); by default it follows the terminal. */
  readonly size?: { readonly columns: number; readonly rows: number };
  /** @default colour unless NO_COLOR is set */
  readonly colour?: boolean;
  /** Stats sampling period. @default 250 */
  readonly sampleMs?: number;
  /** How often an HAProxy fleet is read. @default 1000 */
  readonly fleetMs?: number;
}

export function App(props: AppProps) {
  const theme = useMemo(() => makeTheme(props.colour ?? colourWanted()), [props.colour]);
  return (
    <ThemeContext.Provider value={theme}>
      <Screen {...props} />
    </ThemeContext.Provider>
  );
}

/** When a fleet report was read: its time, or now before the first one. */
function fleetAt(at: number): number {
  return at || Date.now();
}

function clampIndex(i: number, n: number): number {
  return Math.max(0, Math.min(n - 1, i));
}

function Screen({ engine, demo, title, size, sampleMs, fleetMs }: AppProps) {
  const { exit } = useApp();
  const store = engine.store;
  const { supervisor, deployer } = engine;
  const state = useStoreState(store);
  const [ui, dispatch] = useAppState();
  const live = useStatsSnapshot(engine.stats, ui.paused, sampleMs);
  const plane = engine.dataPlane?.external ? engine.dataPlane : undefined;
  const fleet = useFleet(plane, ui.paused, fleetMs);
  const snapshot = fleet.snapshot;
  // With a fleet, every number is HAProxy's (the in-process proxy carries no traffic then).
  const fleetNow = useMemo(
    () => (snapshot ? fleetStats(state, snapshot.report, snapshot.series, fleetAt(snapshot.at)) : null),
    [state, snapshot],
  );
  const fleetBefore = useMemo(
    () => (snapshot ? fleetStats(state, snapshot.before, snapshot.series, fleetAt(snapshot.at)) : null),
    [state, snapshot],
  );
  const stats = fleetNow ?? live.now;
  const before = fleetBefore ?? live.before;
  const instances = useMemo(() => (snapshot ? fleetRows(snapshot.report) : []), [snapshot]);
  // A new snapshot every sample; the totals keep their identity while their numbers stay, so the
  // status line (and a frame where nothing moved) is not drawn again.
  const total = useStable(stats.total);
  const beforeTotal = useStable(before.total);
  const [rate, setRate] = useState(demo?.rate);
  const term = useTerminalSize(size);

  // The apps and deployments panes show only when there is something in them.
  const open = useMemo(() => openDeployments(state), [state]);
  const panes = useMemo(
    () =>
      PANES.filter((p) =>
        p === 'apps' ? state.apps.length > 0 : p === 'deployments' ? open.length > 0 : true,
      ),
    [state.apps.length, open.length],
  );
  const pane = activePane(ui.pane, panes);
  useEffect(() => {
    if (pane !== ui.pane) dispatch({ type: 'pane.set', pane });
  }, [pane, ui.pane, dispatch]);

  // Health flags live on the routing table in force (or in the fleet's report); read as often as the stats.
  const health = useMemo(() => {
    if (!snapshot) return tableHealth(store.table);
    const fleet = fleetHealth(snapshot.report);
    return (key: string) => fleet.get(key) !== false;
  }, [store, stats, state, snapshot]); // eslint-disable-line react-hooks/exhaustive-deps
  // Rows are made again from each sample and kept when they come out the same (see stable.ts).
  const services = useStable(
    useMemo(
      () => serviceRows(state, stats, ui.filter.services, ui.focus, health),
      [state, stats, ui.filter.services, ui.focus, health],
    ),
  );
  const service = services[clampIndex(ui.cursor.services, services.length)];
  const targets = useStable(
    useMemo(
      () => targetRows(state, stats, health, service?.service ?? null, ui.filter.targets, before),
      [state, stats, health, service, ui.filter.targets, before],
    ),
  );
  const target = targets[clampIndex(ui.cursor.targets, targets.length)];
  // Instances and figures live in the supervisor and the deployer: read as often as the stats.
  const statusOf = useMemo(
    () => (supervisor ? (name: string) => supervisor.status(name) : undefined),
    [supervisor],
  );
  const figuresOf = useMemo(
    () => (deployer ? (d: Deployment): Figures => deployer.figures(d) : undefined),
    [deployer],
  );
  const apps = useStable(
    useMemo(
      () => appRows(state, stats, statusOf, ui.filter.apps, health),
      [state, stats, statusOf, ui.filter.apps, health],
    ),
  );
  const app = apps[clampIndex(ui.cursor.apps, apps.length)];
  const deployments = useStable(
    useMemo(
      () => deploymentRows(state, stats, statusOf, figuresOf, ui.filter.deployments, stats.at, health),
      [state, stats, statusOf, figuresOf, ui.filter.deployments, health],
    ),
  );
  const deployment = deployments[clampIndex(ui.cursor.deployments, deployments.length)];

  const nameWidth = Math.max(0, ...targets.map((t) => cells(t.name) + 2));
  const layout = useStable(
    computeLayout(term.columns, term.rows, {
      services: services.length,
      targets: targets.length,
      nameWidth,
      apps: panes.includes('apps') ? apps.length : undefined,
      deployments: panes.includes('deployments')
        ? { want: wantedLines(deployments, term.columns), min: Math.max(1, deployments.length) }
        : undefined,
      focus: pane,
      fleet: snapshot ? instances.length : undefined,
    }),
  );
  // The whole keymap laid out: only when the size changes, not with every sample.
  const helpOverflow = useMemo(
    () => helpLayout(layout.columns, layout.helpLines).overflow,
    [layout.columns, layout.helpLines],
  );
  const logApp = ui.mode.kind === 'log' ? ui.mode.app : undefined;
  const logLines = useStable((logApp !== undefined ? supervisor?.logs(logApp, LOG_LINES) : undefined) ?? []);
  const logStatus = useStable(logApp !== undefined ? supervisor?.status(logApp) : undefined);
  const logOverflow = Math.max(0, logLines.length - logRows(layout.helpLines, logStatus));

  const quit = useCallback(() => exit(), [exit]);
  useKeys({
    store,
    traffic: demo,
    ui,
    dispatch,
    services,
    targets,
    apps,
    deployments,
    panes,
    deployer,
    fleet: fleet.sampler ?? undefined,
    helpOverflow,
    logOverflow,
    onRate: setRate,
    quit,
  });

  const users = useStable(demo?.users?.());
  const colourIndex = useCallback(
    (name: string) => state.upstreams.findIndex((u) => u.name === name),
    [state.upstreams],
  );

  // Kept while equal, so the footer is not drawn again with every sample.
  const keyContext: KeyContext = useStable({
    demo: demo !== undefined,
    splitSize: service?.split?.length ?? 0,
    onTarget: target?.kind === 'target',
    app: app ? { stopped: app.app.state === 'stopped' } : undefined,
    deployment: deployment?.can,
    fleet: snapshot !== null,
  });
  const scopes: readonly Scope[] = useStable(
    ui.mode.kind === 'help'
      ? ['help']
      : ui.mode.kind === 'log'
        ? ['help']
        : ui.mode.kind === 'normal'
          ? [pane, 'global']
          : ['dialog'],
  );

  // The frame as elements, made again only when something it shows changed: a sample whose
  // numbers are as they were renders Screen, finds the same frame and commits nothing (Ink then
  // draws nothing either).
  return useMemo(() => {
    if (layout.tooSmall) {
      return (
        <Text wrap="truncate-end">
          switchyard: the terminal is {term.columns}x{term.rows}; it needs at least {MIN_COLUMNS}x{MIN_ROWS}{' '}
          (q quits)
        </Text>
      );
    }
    const width = layout.columns;
    const lines = layout.panes;
    const shown = PANES.filter((p) => lines[p] >= 0);
    const gap = (p: Pane) => (shown.indexOf(p) < layout.gaps ? <Blank /> : null);
    const overlay = ui.mode.kind === 'help' || ui.mode.kind === 'log';
    // A confirmation takes the footer's second line, when it has one, for its whole question (a
    // dialog's keys fit on one line).
    const confirmLines = ui.mode.kind === 'confirm' && layout.footerLines > 1 ? 2 : 1;
    return (
      <Box flexDirection="column" width={width}>
        {overlay ? null : (
          <StatusLine
            title={title ?? (demo ? 'demo' : '')}
            proxyUrl={engine.proxyUrl}
            proxyTlsUrl={engine.proxyTlsUrl ?? null}
            adminUrl={engine.adminUrl}
            total={total}
            before={beforeTotal}
            rate={demo ? rate : undefined}
            paused={ui.paused}
            readonly={store.readonly}
            width={width}
            fleet={snapshot ? fleetCounts(snapshot.report) : undefined}
          />
        )}
        {ui.mode.kind === 'help' ? (
          <HelpOverlay width={width} height={layout.helpLines} scroll={ui.mode.scroll} />
        ) : ui.mode.kind === 'log' ? (
          <LogOverlay
            app={ui.mode.app}
            lines={logLines}
            status={logStatus}
            width={width}
            height={layout.helpLines}
            scroll={Math.min(ui.mode.scroll, logOverflow)}
          />
        ) : (
          <>
            {lines.services >= 0 ? (
              <>
                {gap('services')}
                <ServicesPanel
                  rows={services}
                  cursor={clampIndex(ui.cursor.services, services.length)}
                  focused={pane === 'services'}
                  filter={ui.filter.services}
                  width={width}
                  height={lines.services}
                  colourIndex={colourIndex}
                />
              </>
            ) : null}
            {lines.targets >= 0 ? (
              <>
                {gap('targets')}
                <TargetsPanel
                  rows={targets}
                  cursor={clampIndex(ui.cursor.targets, targets.length)}
                  focused={pane === 'targets'}
                  filter={ui.filter.targets}
                  width={width}
                  height={lines.targets}
                  columns={layout.targets}
                  serviceName={service?.service ? serviceLabel(service.service) : undefined}
                  users={users}
                />
              </>
            ) : null}
            {lines.apps >= 0 ? (
              <>
                {gap('apps')}
                <AppsPanel
                  rows={apps}
                  cursor={clampIndex(ui.cursor.apps, apps.length)}
                  focused={pane === 'apps'}
                  filter={ui.filter.apps}
                  width={width}
                  height={lines.apps}
                />
              </>
            ) : null}
            {lines.deployments >= 0 ? (
              <>
                {gap('deployments')}
                <DeploymentsPanel
                  rows={deployments}
                  cursor={clampIndex(ui.cursor.deployments, deployments.length)}
                  focused={pane === 'deployments'}
                  filter={ui.filter.deployments}
                  width={width}
                  height={lines.deployments}
                />
              </>
            ) : null}
            {layout.fleetLines > 0 ? (
              <FleetPanel rows={instances} lines={layout.fleetLines} width={width} />
            ) : null}
          </>
        )}
        {overlay ? null : <BottomLine mode={ui.mode} flash={ui.flash} width={width} lines={confirmLines} />}
        <Footer
          scopes={scopes}
          context={keyContext}
          width={width}
          lines={overlay ? 1 : layout.footerLines - confirmLines + 1}
          hint={
            ui.mode.kind === 'prompt' && ui.mode.prompt === 'command' ? lineHint(ui.mode.value) : undefined
          }
        />
      </Box>
    );
  }, [
    apps, beforeTotal, colourIndex, demo, deployments, engine.adminUrl, engine.proxyTlsUrl, engine.proxyUrl,
    instances, keyContext, layout, logLines, logOverflow, logStatus, pane, rate, scopes, service, services,
    snapshot, store.readonly, targets, term.columns, term.rows, title, total, ui.cursor, ui.filter, ui.flash,
    ui.mode, ui.paused, users,
  ]);
}
