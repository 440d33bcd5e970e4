/**
 * `switchyard` on the command line: the engine's surfaces (TUI, demo, headless serve) and the
 * client verbs that steer a running instance through its admin API.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeSkipped, exportYaml, loadDeclarative, readDeclarative, type SkippedEntity, type SkippedOnRoute } from '../config/yaml.js';
import { isSwitchyardError } from '../core/errors.js';
import { Engine, type EngineOptions } from '../engine.js';
import { StateFileError, ConfStore, defaultStateDir } from '../persist/conf-store.js';
import { parseVerb, SHOW_VERBS, toAdminRequest, VERBS } from './verbs.js';
import { formatApps, formatDataPlane, formatDeployments, formatRoutes } from './tables.js';
import { compile } from '../core/table.js';
import { DEFAULT_SPARES, exportHaproxy, TLS_PEM, writeHaproxy } from '../dataplane/index.js';
import { proxyKeyPair } from '../proxy/certs.js';
import { deploymentAction, duration, followNew, rate, type BgFlags, type DeploymentReply } from './deploy.js';
import { detectCommand } from '../apps/detect.js';
import { AdminClient } from './client.js';
import { unknownCommand } from './mistakes.js';

const VERSION = '0.1.0';

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
export const DEMO_TLS_PORT = 8443;

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got '${value}'`);
  return Number(value);
}

/** HAProxy's `bind`: `ADDRESS:PORT`, `:PORT`, `*:PORT` or `[IPv6]:PORT`. */
function bindAddress(value: string): string {
  const m = /^(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])?:(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new InvalidArgumentError(`expected ADDRESS:PORT for HAProxy's bind, like 127.0.0.1:8080, :8080 or [::1]:8080; got '${value}'`);
  return value;
}

function lineCount(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) throw new InvalidArgumentError(`expected a number of lines 1..10000, got '${value}'`);
  return value;
}

/**
 * The state saved in `dir`. A mistyped directory is an error, not an empty state (nor a new
 * directory); an existing one without a state file is the empty state (how an HAProxy
 * configuration is bootstrapped before the first start).
 */
function savedState(dir: string) {
  if (!fs.existsSync(dir)) throw new Error(`--state-dir ${dir} does not exist: give the directory a switchyard ran with (nothing was written)`);
  return new ConfStore({ dir }).load();
}

function parseSpares(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1000) throw new InvalidArgumentError(`expected a number of spare backends 0..1000, got '${value}'`);
  return Number(value);
}

function size(value: string): number {
  const m = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a size like 32mb, 512kb or 1048576, got '${value}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

function withEngineFlags(cmd: Command, tlsPort?: number): Command {
  const tls = new Option('--proxy-tls-port <port>', 'also take HTTPS on this port (0 = any free port), with --tls-cert/--tls-key or a self-signed certificate for localhost').argParser(port);
  return cmd
    .addOption(tlsPort === undefined ? tls : tls.default(tlsPort))
    .option('--tls-cert <file>', 'the TLS listener\'s certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', 'the TLS listener\'s private key (PEM)')
    .option('--upstream-ca <file>', 'CA certificates (PEM) trusted for https services with tls_verify, beside the system\'s')
    .addOption(new Option('--proxy-port <port>', 'proxy port (0 = any free port)').default(8000).argParser(port))
    .addOption(new Option('--proxy-host <host>', 'address the proxy listens on').default('127.0.0.1'))
    .addOption(new Option('--admin-port <port>', 'admin API port (0 = any free port)').default(8001).argParser(port))
    .addOption(new Option('--admin-host <host>', 'address the admin API listens on (non-loopback needs --admin-token)').default('127.0.0.1'))
    .addOption(new Option('--admin-token <token>', 'require this bearer token on the admin API').env('SWITCHYARD_ADMIN_TOKEN'))
    .option('--state-dir <dir>', 'directory of the state file (default: the per-user config directory)')
    .option('--config <file.yaml>', 'load a Kong declarative config file at start (replaces the saved state)')
    .option('--skip-unsupported', "with --config: leave out what switchyard does not have (plugins, consumers, certificates, …), list it, and load the rest")
    .option('--reset-state', 'move an unreadable state file aside and start empty')
    .option('--readonly', 'refuse every change (UI and admin API)')
    .addOption(new Option('--max-body-size <size>', 'request bodies above this get 413, e.g. 32mb, 512kb, 0 = no limit').default(32 * 1024 * 1024, '32mb').argParser(size));
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
  if (engine.dataPlane.external) notes.push(`steering HAProxy: ${f.haproxy?.join(', ')}; the local proxy answers too`);
  const tls = tlsLine(engine);
  if (tls) notes.push(tls);
  stderrLog(`switchyard ${VERSION} serving: proxy ${engine.proxyUrl}, admin API ${engine.adminUrl} (${notes.join('; ')})`);
  stopWith(() => engine.stop());
}

/** Where the TLS listener is and which certificate it shows, to trust it (`curl --cacert FILE`). */
function tlsLine(engine: Engine): string | null {
  const t = engine.proxyTls;
  if (!t) return null;
  return `proxy over TLS ${engine.proxyTlsUrl} with certificate ${t.keyPair.certFile} (SHA-256 ${t.keyPair.fingerprint})`;
}

const NO_TTY = 'switchyard needs an interactive terminal for its UI; run "switchyard serve" for the headless engine';

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

function admin(o: { admin?: string; adminToken?: string }): AdminClient {
  return new AdminClient(o.admin ?? process.env.SWITCHYARD_ADMIN ?? 'http://127.0.0.1:8001', o.adminToken ?? process.env.SWITCHYARD_ADMIN_TOKEN);
}

function clientOptions(cmd: Command): Command {
  return cmd
    .option('--admin <url>', 'admin API of the running switchyard (env SWITCHYARD_ADMIN)', undefined)
    .option('--admin-token <token>', 'bearer token for the admin API (env SWITCHYARD_ADMIN_TOKEN)');
}

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description('Blue-green deployments and weighted traffic shifting from the terminal, with a weighted HTTP proxy inside.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'switchyard: ')) });

  const dataPlaneFlags = (cmd: Command) =>
    cmd
      .addOption(new Option('--data-plane <kind>', 'what carries the traffic: the in-process proxy, or HAProxy instances steered through their runtime API').choices(['in-process', 'haproxy']).default('in-process'))
      .addOption(
        new Option('--haproxy <socket|host:port>', 'an HAProxy runtime API to steer (repeat for a fleet; implies --data-plane haproxy)')
          .argParser((v: string, prev: string[] = []) => [...prev, v])
          .implies({ dataPlane: 'haproxy' }),
      );
  dataPlaneFlags(withEngineFlags(program.command('ui', { isDefault: true }).description('open the terminal UI over the saved state (proxy and admin API run inside)'))).action((f: EngineFlags) =>
    tui(f, false),
  );
  withEngineFlags(program.command('demo').description('open the UI with sample blue/green backends and a traffic generator (also on https://demo.localhost:8443)'), DEMO_TLS_PORT)
    .option('--no-tls', 'no TLS listener')
    .action((f: EngineFlags) => tui(f, true));
  dataPlaneFlags(withEngineFlags(program.command('serve').description('run the proxy and admin API headless (no terminal needed)'))).action((f: EngineFlags) => serve(f));

  const config = program.command('config').description('Kong declarative configuration (YAML)');
  clientOptions(config.command('export'))
    .description('print the current state as Kong declarative YAML, or write an HAProxy configuration (from the running instance, or --state-dir)')
    .addOption(
      new Option('--format <format>', "switchyard: Kong's declarative YAML with switchyard's split and apps; kong: what Kong itself accepts; haproxy: haproxy.cfg and its map files")
        .choices(['switchyard', 'kong', 'haproxy'])
        .default('switchyard'),
    )
    .option('--state-dir <dir>', 'read the saved state file instead of a running instance')
    .option('-o, --output <path>', 'kong: a file instead of stdout; haproxy: the directory for haproxy.cfg and its maps')
    .addOption(new Option('--bind <addr>', 'haproxy: where HAProxy takes traffic, ADDRESS:PORT').default('127.0.0.1:8080').argParser(bindAddress))
    .option('--socket <path>', 'haproxy: its runtime API socket (what --haproxy points at)', '/run/haproxy/switchyard.sock')
    .option('--spares <n>', 'haproxy: empty backends for services added later, placed at runtime without a reload', parseSpares, DEFAULT_SPARES)
    .addOption(new Option('--tls-bind <addr>', 'haproxy: also take HTTPS here, e.g. :443 (with --tls-cert/--tls-key, or the self-signed localhost certificate of the state directory)').argParser(bindAddress))
    .option('--tls-cert <file>', 'haproxy: the certificate for --tls-bind (PEM)')
    .option('--tls-key <file>', 'haproxy: its private key (PEM)')
    .action(async (o: { admin?: string; adminToken?: string; stateDir?: string; output?: string; format: string; bind: string; socket: string; spares: number; tlsBind?: string; tlsCert?: string; tlsKey?: string }) => {
      if (o.format !== 'haproxy' && (o.tlsBind ?? o.tlsCert ?? o.tlsKey) !== undefined) throw new Error('--tls-bind, --tls-cert and --tls-key go with --format haproxy');
      if (o.tlsBind === undefined && (o.tlsCert ?? o.tlsKey) !== undefined) throw new Error('--tls-cert and --tls-key need --tls-bind: where HAProxy takes HTTPS');
      const yaml = o.stateDir !== undefined ? exportYaml(savedState(o.stateDir)) : await admin(o).exportConfig();
      // Checked (or made) before anything is written, as the engine does before it binds.
      const keyPair = o.tlsBind === undefined ? null : await proxyKeyPair({ certFile: o.tlsCert, keyFile: o.tlsKey, dir: o.stateDir ?? defaultStateDir() });
      if (o.format === 'haproxy') {
        const state = loadDeclarative(yaml, { now: 0, newId: randomUUID }, 'state');
        const table = compile(state, 0);
        if (!o.output) throw new Error('--format haproxy writes haproxy.cfg and two map files: give the directory with -o DIR');
        fs.mkdirSync(o.output, { recursive: true });
        const tls = keyPair && o.tlsBind !== undefined ? { bind: o.tlsBind, cert: keyPair.cert, key: keyPair.key } : undefined;
        const file = writeHaproxy(o.output, table, { bind: o.bind, socket: o.socket, spares: o.spares, tls });
        const pem = tls ? ` and ${path.join(path.resolve(o.output), TLS_PEM)} (certificate ${keyPair!.certFile}, SHA-256 ${keyPair!.fingerprint})` : '';
        process.stdout.write(`wrote ${file}, its map files${pem}; start it with: haproxy -f ${file}\nthen: switchyard serve --data-plane haproxy --haproxy ${o.socket}\n`);
        for (const w of exportHaproxy(table, { bind: o.bind, socket: o.socket, mapsDir: o.output, spares: o.spares }).warnings) process.stderr.write(`note: ${w}\n`);
        return;
      }
      let out = yaml;
      if (o.format === 'kong') {
        const notes: string[] = [];
        out = exportYaml(loadDeclarative(yaml, { now: 0, newId: randomUUID }, 'state'), 'kong', notes);
        for (const n of notes) process.stderr.write(`note: ${n}\n`);
      }
      if (o.output) fs.writeFileSync(o.output, out);
      else process.stdout.write(out);
    });
  const dataplane = program.command('dataplane').description('the data plane: its instances, drift, and re-applying the state');
  clientOptions(dataplane.command('status', { isDefault: true }))
    .description('each instance: reachable, drift, reload needed')
    .action(async (o: { admin?: string; adminToken?: string }) => {
      process.stdout.write(formatDataPlane(await admin(o).get('/dataplane')));
    });
  clientOptions(dataplane.command('reapply'))
    .description('push the whole state to every instance again (after drift)')
    .action(async (o: { admin?: string; adminToken?: string }) => {
      const r = (await admin(o).post('/dataplane/reapply')) as { summary: string };
      process.stdout.write(`${r.summary}\n`);
    });
  config
    .command('check <file>')
    .description('validate a declarative file without applying it')
    .option('--skip-unsupported', "leave out what switchyard does not have (plugins, consumers, …) and list it")
    .action((file: string, o: { skipUnsupported?: boolean }) => {
      const loaded = readDeclarative(readFile(file), { now: 0, newId: randomUUID }, { source: file, skipUnsupported: o.skipUnsupported });
      const { state } = loaded;
      process.stdout.write(`${file}: ok (${state.services.length} services, ${state.routes.length} routes, ${state.upstreams.length} upstreams)\n`);
      printSkipped(loaded);
    });
  clientOptions(config.command('apply <file>'))
    .description('replace the running state with a declarative file (all or nothing)')
    .option('--skip-unsupported', "leave out what switchyard does not have (plugins, consumers, …) and list it")
    .action(async (file: string, o: { admin?: string; adminToken?: string; skipUnsupported?: boolean }) => {
      const r = await admin(o).applyConfig(readFile(file), { source: path.basename(file), skipUnsupported: o.skipUnsupported });
      process.stdout.write(`${r.summary}\n`);
      printSkipped(r);
    });

  for (const v of VERBS) {
    const [, ...args] = v.usage.split(' ');
    const cmd = program.command(v.name).description(v.summary).usage(args.join(' ')).allowUnknownOption(true).allowExcessArguments(true).argument('[args...]');
    // The verb's own flags are parsed by the one parser the UI's `:` line uses too.
    clientOptions(cmd).action(async function (this: Command, _rest: string[], o: { admin?: string; adminToken?: string }) {
      let verb = parseVerb([v.name, ...this.args], { cwd: process.cwd() });
      if (verb.op === 'app.push' && verb.fields.command === undefined && verb.fields.targets === undefined) {
        // As `kf push` does: the app in the current directory says how it runs.
        const found = detectCommand(process.cwd());
        if (found) {
          process.stdout.write(`using "${found.command}" from ${found.from}\n`);
          verb = { ...verb, fields: { ...verb.fields, command: found.command, cwd: process.cwd() } };
        }
      }
      const client = admin(o);
      const result = await client.send(toAdminRequest(verb));
      process.stdout.write(`${result}\n`);
      if (verb.op === 'app.push' || verb.op === 'app.restart' || verb.op === 'app.start') {
        process.stdout.write(`${await client.waitForApp(verb.op === 'app.push' ? (verb.fields.name as string) : verb.app)}\n`);
      }
    });
  }
  clientOptions(program.command('bg-deploy [manifest]'))
    .description("blue-green deploy (SAP's cf bg-deploy): new version beside the live one, on temporary routes, paused until resume or abort")
    .option('-i, --id <id>', 'the deployment to act on')
    .option('-a, --action <action>', 'resume | abort | monitor | cleanup')
    .option('--no-confirm', 'resume at once instead of pausing')
    .option('--steps <list>', 'gradual resume: the new version\'s share at each step, e.g. 10,50,100')
    .option('--interval <duration>', 'time per gradual step, e.g. 30s', '30s')
    .option('--max-error-rate <rate>', 'abort by itself above this 5xx rate of the new version, e.g. 5% or 0.05')
    .option('--max-p99 <duration>', "abort by itself above this p99 latency of the new version, e.g. 500ms")
    .option('--sticky <how>', 'gradual resume: keep each user on one version (cookie:NAME, header:NAME, query:NAME, ip, path): a step only moves users onto the new one')
    .option('--default-domain <domain>', "an MTA's ${default-domain}, the domain of its modules' default routes (default: localhost)")
    .action(async (file: string | undefined, o: BgFlags) => {
      const client = admin(o);
      const gradual = {
        ...(o.steps ? { steps: o.steps.split(',').map((x) => Number(x.trim())), interval_ms: duration(o.interval, 's') } : {}),
        ...(o.maxErrorRate !== undefined ? { max_error_rate: rate(o.maxErrorRate) } : {}),
        ...(o.maxP99 !== undefined ? { max_p99_ms: duration(o.maxP99, 'ms') } : {}),
        ...(o.sticky !== undefined ? { sticky: o.sticky } : {}),
      };
      if (o.id !== undefined || o.action !== undefined) {
        if (!o.id || !o.action) throw new Error('give both -i ID and -a resume|abort|monitor|cleanup');
        if (file) throw new Error('give a manifest to deploy, or -i ID -a ACTION, not both');
        await deploymentAction(client, o.id, o.action, gradual);
        return;
      }
      if (!file) throw new Error('give a manifest: switchyard bg-deploy MANIFEST.yaml');
      const text = readFile(file);
      // Answered once the deployment exists: its id is printed before any app has to start.
      const d = (await client.post('/deployments', {
        manifest: text,
        source: file,
        cwd: path.dirname(path.resolve(file)),
        no_confirm: o.confirm === false,
        ...(o.defaultDomain !== undefined ? { default_domain: o.defaultDomain } : {}),
        ...gradual,
      })) as DeploymentReply;
      await followNew(client, d);
    });
  clientOptions(program.command('deployments'))
    .description('list blue-green deployments with state, versions and times')
    .action(async (o: { admin?: string; adminToken?: string }) => {
      process.stdout.write(formatDeployments(await admin(o).get('/deployments')));
    });
  clientOptions(program.command('apps').description(SHOW_VERBS[0]!.summary)).action(async (o: { admin?: string; adminToken?: string }) => {
    process.stdout.write(formatApps(await admin(o).get('/apps')));
  });
  clientOptions(program.command('routes').description(SHOW_VERBS[1]!.summary)).action(async (o: { admin?: string; adminToken?: string }) => {
    process.stdout.write(formatRoutes(await admin(o).get('/app-routes')));
  });
  clientOptions(program.command('logs <app>').description(SHOW_VERBS[2]!.summary))
    .addOption(new Option('-n, --lines <n>', 'how many lines (1..10000)').default('100').argParser(lineCount))
    .action(async (app: string, o: { admin?: string; adminToken?: string; lines: string }) => {
      process.stdout.write(await admin(o).text(`/apps/${encodeURIComponent(app)}/logs?lines=${encodeURIComponent(o.lines)}`));
    });
  return program;
}

/** What a file left out, route by route on stdout; each route now open to anyone, a warning on stderr. */
function printSkipped(loaded: { skipped: readonly SkippedEntity[]; routes: readonly SkippedOnRoute[] }): void {
  const { lines, warnings } = describeSkipped(loaded);
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Formats any error as the lines a person needs, never a stack trace. */
export function describeError(e: unknown): string {
  if (isSwitchyardError(e)) {
    const fields = Object.entries(e.fields);
    // A file's errors are listed in its message already (`kong.yml: 3 errors: …`).
    const said = e.message.includes('\n') && fields.every(([k, v]) => e.message.includes(k === '@entity' ? v : `${k}: ${v}`));
    if (e.code === 'schema violation' && fields.length && !said) return `invalid input:\n${fields.map(([k, v]) => `  ${k}: ${v}`).join('\n')}`;
    return e.message;
  }
  if (e instanceof StateFileError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = buildProgram();
    const mistake = unknownCommand(program, argv.slice(2));
    if (mistake) throw new Error(mistake);
    await program.parseAsync([...argv]);
  } catch (e) {
    const text = describeError(e);
    process.stderr.write(text.startsWith('switchyard ') ? `${text}\n` : `switchyard: ${text}\n`);
    process.exit(1);
  }
}
