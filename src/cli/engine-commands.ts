/**
 * The engine's own commands: the terminal UI (`ui`, the default), the `demo`, and headless
 * `serve`, with the flags that configure an engine and the graceful shutdown they share.
 */
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Engine, type EngineOptions } from '../engine.js';
import { printSkipped } from './options.js';

export const VERSION = '0.1.0';

interface EngineFlags {
  proxyHost: string;
  proxyPort: number;
  adminHost: string;
  adminPort: number;
  adminToken?: string;
  stateDir?: string;
  config?: string;
  skipUnsupported?: boolean;
  resetState?: boolean;
  readonly?: boolean;
  maxBodySize?: number;
  dataPlane?: 'in-process' | 'haproxy';
  haproxy?: string[];
  proxyTlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  upstreamCa?: string;
  /** The demo's `--no-tls`. */
  tls?: boolean;
}

/** The demo's TLS listener, unless --no-tls: https://demo.localhost:8443. */
const DEMO_TLS_PORT = 8443;

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError(`expected a port number 0..65535, got '${value}'`);
  return Number(value);
}

function size(value: string): number {
  const m = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a size like 32mb, 512kb or 1048576, got '${value}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

function withEngineFlags(cmd: Command, tlsPort?: number): Command {
  const tls = new Option(
    '--proxy-tls-port <port>',
    'also take HTTPS on this port (0 = any free port), with --tls-cert/--tls-key or a self-signed certificate for localhost',
  ).argParser(port);
  return cmd
    .addOption(tlsPort === undefined ? tls : tls.default(tlsPort))
    .option('--tls-cert <file>', "the TLS listener's certificate (PEM; with --tls-key)")
    .option('--tls-key <file>', "the TLS listener's private key (PEM)")
    .option(
      '--upstream-ca <file>',
      "CA certificates (PEM) trusted for https services with tls_verify, beside the system's",
    )
    .addOption(
      new Option('--proxy-port <port>', 'proxy port (0 = any free port)').default(8000).argParser(port),
    )
    .addOption(new Option('--proxy-host <host>', 'address the proxy listens on').default('127.0.0.1'))
    .addOption(
      new Option('--admin-port <port>', 'admin API port (0 = any free port)').default(8001).argParser(port),
    )
    .addOption(
      new Option(
        '--admin-host <host>',
        'address the admin API listens on (non-loopback needs --admin-token)',
      ).default('127.0.0.1'),
    )
    .addOption(
      new Option('--admin-token <token>', 'require this bearer token on the admin API').env(
        'SWITCHYARD_ADMIN_TOKEN',
      ),
    )
    .option('--state-dir <dir>', 'directory of the state file (default: the per-user config directory)')
    .option('--config <file.yaml>', 'load a Kong declarative config file at start (replaces the saved state)')
    .option(
      '--skip-unsupported',
      'with --config: leave out what switchyard does not have (plugins, consumers, certificates, …), list it, and load the rest',
    )
    .option('--reset-state', 'move an unreadable state file aside and start empty')
    .option('--readonly', 'refuse every change (UI and admin API)')
    .addOption(
      new Option(
        '--max-body-size <size>',
        'request bodies above this get 413, e.g. 32mb, 512kb, 0 = no limit',
      )
        .default(32 * 1024 * 1024, '32mb')
        .argParser(size),
    );
}

function engineOptions(f: EngineFlags, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    proxyHost: f.proxyHost,
    proxyPort: f.proxyPort,
    adminHost: f.adminHost,
    adminPort: f.adminPort,
    adminToken: f.adminToken,
    stateDir: f.stateDir,
    configFile: f.config,
    skipUnsupported: f.skipUnsupported,
    resetState: f.resetState,
    readonly: f.readonly,
    maxBodyBytes: f.maxBodySize,
    dataPlane: f.dataPlane,
    haproxy: f.haproxy,
    proxyTlsPort: f.tls === false ? undefined : f.proxyTlsPort,
    tlsCert: f.tlsCert,
    tlsKey: f.tlsKey,
    upstreamCa: f.upstreamCa,
    ...extra,
  };
}

function hostPort(a: AddressInfo): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

const stderrLog = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

/**
 * SIGINT/SIGTERM: stop accepting, let in-flight requests finish, save, exit 0. A second signal exits
 * at once. Installed before the engine starts, so a signal during startup is not lost: shutdown
 * begins as soon as there is something to stop (the returned function hands it over).
 */
function onShutdownSignals(log: (line: string) => void): (stop: () => Promise<void>) => void {
  let signalled = false;
  let stop: (() => Promise<void>) | undefined;
  const begin = () =>
    stop!().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  const handler = (sig: NodeJS.Signals) => {
    if (signalled) {
      log(`${sig} again: exiting now`);
      process.exit(130);
    }
    signalled = true;
    log(`${sig}: shutting down (finishing requests in flight; press again to exit now)`);
    if (stop) void begin();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // conf's atomic writer (when-exit) re-raises the signal from its own handler, which would read
    // as a second signal here: this handler owns shutdown and saves the state itself. Its handler
    // goes only after ours is in, because a signal that arrives while no listener is left is lost
    // (Node closes the signal watcher with the signal still queued on it).
    process.on(sig, handler);
    for (const other of process.listeners(sig)) if (other !== handler) process.removeListener(sig, other);
  }
  return (s) => {
    stop = s;
    if (signalled) void begin();
  };
}

async function serve(f: EngineFlags): Promise<void> {
  const stopWith = onShutdownSignals(stderrLog);
  const engine = await Engine.start(engineOptions(f, { log: stderrLog }));
  const where = engine.stateFile ? `state ${engine.stateFile.path}` : 'state in memory';
  const notes = [where];
  // The URLs are where to point a client; a wildcard bind says so, as does a data plane elsewhere.
  const wide = (a: AddressInfo) => a.address === '0.0.0.0' || a.address === '::';
  if (wide(engine.proxyAddress) || wide(engine.adminAddress)) {
    notes.push(`bound to ${hostPort(engine.proxyAddress)} and ${hostPort(engine.adminAddress)}`);
  }
  if (engine.dataPlane.external)
    notes.push(`steering HAProxy: ${f.haproxy?.join(', ')}; the local proxy answers too`);
  const tls = tlsLine(engine);
  if (tls) notes.push(tls);
  stderrLog(
    `switchyard ${VERSION} serving: proxy ${engine.proxyUrl}, admin API ${engine.adminUrl} (${notes.join('; ')})`,
  );
  stopWith(() => engine.stop());
}

/** Where the TLS listener is and which certificate it shows, to trust it (`curl --cacert FILE`). */
function tlsLine(engine: Engine): string | null {
  const t = engine.proxyTls;
  if (!t) return null;
  return `proxy over TLS ${engine.proxyTlsUrl} with certificate ${t.keyPair.certFile} (SHA-256 ${t.keyPair.fingerprint})`;
}

const NO_TTY =
  'switchyard needs an interactive terminal for its UI; run "switchyard serve" for the headless engine';

async function tui(f: EngineFlags, demo: boolean): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new Error(NO_TTY);
  const stopWith = onShutdownSignals(() => {});
  // The demo's scene lives on random ports: keep it out of the saved state unless asked.
  const engine = await Engine.start(engineOptions(f, { persist: demo ? f.stateDir !== undefined : true }));
  // Said before the UI takes the (alternate) screen: it is there again, readable, when the UI quits.
  printSkipped(engine.configLoad);
  const tls = tlsLine(engine);
  if (tls) process.stderr.write(`switchyard: ${tls}\n`);
  const { runTui } = await import('../ui/run.js');
  let demoHandle: Awaited<ReturnType<typeof import('../demo/index.js').startDemo>> | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await demoHandle?.stop();
    await engine.stop();
  };
  stopWith(stop);
  try {
    if (demo) {
      const { startDemo } = await import('../demo/index.js');
      demoHandle = await startDemo(engine);
    }
    await runTui(engine, { demo: demoHandle });
  } finally {
    await stop();
  }
  process.exit(0);
}

/** `ui` (the default), `demo` and `serve`. */
export function addEngineCommands(program: Command): void {
  const dataPlaneFlags = (cmd: Command) =>
    cmd
      .addOption(
        new Option(
          '--data-plane <kind>',
          'what carries the traffic: the in-process proxy, or HAProxy instances steered through their runtime API',
        )
          .choices(['in-process', 'haproxy'])
          .default('in-process'),
      )
      .addOption(
        new Option(
          '--haproxy <socket|host:port>',
          'an HAProxy runtime API to steer (repeat for a fleet; implies --data-plane haproxy)',
        )
          .argParser((v: string, prev: string[] = []) => [...prev, v])
          .implies({ dataPlane: 'haproxy' }),
      );
  dataPlaneFlags(
    withEngineFlags(
      program
        .command('ui', { isDefault: true })
        .description('open the terminal UI over the saved state (proxy and admin API run inside)'),
    ),
  ).action((f: EngineFlags) => tui(f, false));
  withEngineFlags(
    program
      .command('demo')
      .description(
        'open the UI with sample blue/green backends and a traffic generator (also on https://demo.localhost:8443)',
      ),
    DEMO_TLS_PORT,
  )
    .option('--no-tls', 'no TLS listener')
    .action((f: EngineFlags) => tui(f, true));
  dataPlaneFlags(
    withEngineFlags(
      program.command('serve').description('run the proxy and admin API headless (no terminal needed)'),
    ),
  ).action((f: EngineFlags) => serve(f));
}
