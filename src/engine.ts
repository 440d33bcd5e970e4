/**
 * The whole headless engine in one object: store (+ state file), stats, proxy and admin API.
 * `serve`, the TUI and the demo all run exactly this; only the surface on top differs.
 */
import fs from 'node:fs';
import { randomUUID, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { refuseOpenBind } from './admin/guard.js';
import { AdminServer } from './admin/server.js';
import { Supervisor } from './apps/supervisor.js';
import { DeployEngine } from './deploy/bg-deploy.js';
import { attachDataPlane, HaproxyFleet, InProcessDataPlane, settledWithin, type DataPlane } from './dataplane/index.js';
import { describeSkipped, readDeclarative, type Loaded } from './config/yaml.js';
import { reconcileByName } from './core/reconcile.js';
import { emptyState, type State } from './core/model.js';
import { Store } from './core/store.js';
import { ConfStore, defaultStateDir } from './persist/conf-store.js';
import { proxyKeyPair, type KeyPair } from './proxy/certs.js';
import { ProxyServer } from './proxy/server.js';
import { Stats } from './proxy/stats.js';

export interface EngineOptions {
  /** @default '127.0.0.1' */
  readonly proxyHost?: string;
  /** @default 8000 (0 picks a free port) */
  readonly proxyPort?: number;
  /** @default '127.0.0.1' */
  readonly adminHost?: string;
  /** @default 8001 (0 picks a free port) */
  readonly adminPort?: number;
  /** Request bodies above this get 413 (0 = no limit). @default 32 MiB */
  readonly maxBodyBytes?: number;
  /** Required to bind the admin API anywhere but loopback. */
  readonly adminToken?: string;
  /** Where the state file lives. @default conf's per-user config directory */
  readonly stateDir?: string;
  /** Keep state in memory only (the demo's scratch scene, tests). @default true */
  readonly persist?: boolean;
  /** A Kong declarative YAML file that replaces the saved state at start. */
  readonly configFile?: string;
  /** Load `configFile` without what switchyard does not have (plugins, consumers, …), listing it. */
  readonly skipUnsupported?: boolean;
  /** Move an unreadable state file aside instead of refusing to start. */
  readonly resetState?: boolean;
  readonly readonly?: boolean;
  /** One line per change and per lifecycle event. @default none */
  readonly log?: (line: string) => void;
  /** Which data plane carries the traffic. @default 'in-process' */
  readonly dataPlane?: 'in-process' | 'haproxy';
  /** HAProxy runtime API addresses (unix socket paths or host:port), with `dataPlane: 'haproxy'`. */
  readonly haproxy?: readonly string[];
  /** The state to start from when nothing is persisted (the demo's scene). */
  readonly initialState?: State;
  /** The proxy's TLS listener on this port (0: any free port); none when absent. */
  readonly proxyTlsPort?: number;
  /** Its certificate and key (PEM files); without them, a self-signed one for localhost in `<state dir>/tls/`. */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** CAs (a PEM file) trusted for https upstreams with tls_verify, beside the system's (Kong's lua_ssl_trusted_certificate). */
  readonly upstreamCa?: string;
}

export class Engine {
  private constructor(
    readonly store: Store,
    readonly stats: Stats,
    readonly proxy: ProxyServer,
    readonly admin: AdminServer,
    readonly stateFile: ConfStore | undefined,
    readonly supervisor: Supervisor,
    readonly deployer: DeployEngine,
    /** What carries the traffic: the in-process proxy, or a fleet of HAProxy instances it steers. */
    readonly dataPlane: DataPlane,
    private readonly detachPlane: () => void,
    /** The log directory of a memory-only engine, removed when it stops. */
    private readonly tempLogs: string | undefined,
    readonly proxyAddress: AddressInfo,
    readonly adminAddress: AddressInfo,
    /** What `configFile` left out with `skipUnsupported` (for the UI and scripts); none without a file. */
    readonly configLoad: Pick<Loaded, 'skipped' | 'routes'> = { skipped: [], routes: [] },
    /** The TLS listener's address and certificate, when there is one. */
    readonly proxyTls: { readonly address: AddressInfo; readonly keyPair: KeyPair } | null = null,
  ) {}

  static async start(o: EngineOptions = {}): Promise<Engine> {
    const log = o.log ?? (() => {});
    const adminHost = o.adminHost ?? '127.0.0.1';
    const token = o.adminToken ?? process.env.SWITCHYARD_ADMIN_TOKEN;
    // Options that cannot work are refused before anything is locked, made or bound.
    checkOptions(o, adminHost, token);
    const stateFile = o.persist === false ? undefined : new ConfStore({ dir: o.stateDir, reset: o.resetState });
    // One switchyard per state directory: a second would run the same apps and overwrite the state.
    stateFile?.lock();
    try {
      return await Engine.startOn(o, stateFile, log, adminHost, token);
    } catch (e) {
      stateFile?.unlock();
      throw e;
    }
  }

  private static async startOn(o: EngineOptions, stateFile: ConfStore | undefined, log: (line: string) => void, adminHost: string, token: string | undefined): Promise<Engine> {
    let initial = stateFile?.load(o.resetState) ?? emptyState;
    let loaded: Loaded | undefined;
    if (stateFile?.movedAside) log(`moved the unreadable state file aside to ${stateFile.movedAside}`);
    if (o.configFile) {
      let text: string;
      try {
        text = fs.readFileSync(o.configFile, 'utf8');
      } catch (e) {
        throw new Error(`cannot read --config ${o.configFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      loaded = readDeclarative(text, { now: Math.floor(Date.now() / 1000), newId: randomUUID }, { source: o.configFile, skipUnsupported: o.skipUnsupported });
      // Reconciled by name with the saved state, as `config apply` is: what is already there keeps its id.
      initial = reconcileByName(initial, loaded.state);
      stateFile?.save(initial);
      log(`loaded ${o.configFile}: ${initial.services.length} services, ${initial.routes.length} routes, ${initial.upstreams.length} upstreams`);
      const { lines, warnings } = describeSkipped(loaded);
      for (const line of lines) log(line);
      for (const w of warnings) log(`WARNING: ${w}`);
    } else if (initial === emptyState && o.initialState) {
      initial = o.initialState;
      stateFile?.save(initial);
    }
    // Certificates are read (or made) before anything binds: a bad file stops the start naming it.
    const keyPair =
      o.proxyTlsPort === undefined ? null : await proxyKeyPair({ certFile: o.tlsCert, keyFile: o.tlsKey, dir: o.stateDir ?? (stateFile ? path.dirname(stateFile.path) : defaultStateDir()) });
    if (keyPair?.created) log(`made a self-signed certificate for localhost: ${keyPair.certFile} (SHA-256 ${keyPair.fingerprint})`);
    const upstreamCa = o.upstreamCa === undefined ? undefined : readUpstreamCa(o.upstreamCa);
    const store = new Store({ initial, persist: stateFile ? (s) => stateFile.save(s) : undefined, readonly: o.readonly });
    const stats = new Stats();
    // What is opened from here on is closed again, last first, if the start fails at any later
    // step: no port stays bound, no timer or child process outlives a start that did not happen.
    const opened: (() => unknown)[] = [];
    try {
      const tempLogs = stateFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-logs-'));
      if (tempLogs) opened.push(() => fs.rmSync(tempLogs, { recursive: true, force: true }));
      const logDir = tempLogs ?? path.join(path.dirname((stateFile as ConfStore).path), 'logs');
      const self: { engine?: Engine } = {};
      const supervisor = new Supervisor({ store, logDir, log, drain: (address, deadline) => drainPlane(self.engine?.dataPlane, address, deadline) });
      opened.push(() => supervisor.stop());
      // Addresses of a previous run's processes are gone: clear them before the proxy takes traffic.
      supervisor.clearStale();
      const deployer = new DeployEngine(store, supervisor, stats, log);
      opened.push(() => deployer.stop());
      const proxy = new ProxyServer({
        store,
        stats,
        host: o.proxyHost ?? '127.0.0.1',
        port: o.proxyPort ?? 8000,
        maxBodyBytes: o.maxBodyBytes,
        upstreamCa,
        ...(keyPair ? { tls: { cert: keyPair.cert, key: keyPair.key, port: o.proxyTlsPort ?? 8443 } } : {}),
      });
      opened.push(() => proxy.close(0));
      const proxyAddress = await proxy.listen();
      const tlsAddress = await proxy.listenTls();
      // GET / describes the engine, which exists only once the admin API listens.
      const admin = new AdminServer({ store, stats, proxy, supervisor, deployer, dataPlane: () => self.engine?.dataPlane, host: adminHost, port: o.adminPort ?? 8001, token, info: () => self.engine?.info() });
      opened.push(() => admin.close());
      const adminAddress = await admin.listen();
      stats.start();
      opened.push(() => stats.stop());
      supervisor.start();
      deployer.start();
      let dataPlane: DataPlane = new InProcessDataPlane({ table: () => store.table, stats });
      let detachPlane = () => {};
      if (o.dataPlane === 'haproxy') {
        const fleet = new HaproxyFleet(o.haproxy ?? [], { log });
        opened.push(() => fleet.close());
        dataPlane = fleet;
        // Every change is applied to every instance; what one of them did not take is said, never dropped.
        const detachApply = attachDataPlane(store, fleet, (r, summary) => {
          if (!r.ok || r.perInstance.some((i) => i.reloadNeeded)) log(`[haproxy] ${summary}`);
        });
        // A change the fleet cannot carry as asked (balancing HAProxy has no word for) is refused.
        const unguard = store.guard((table) => fleet.refusal(table));
        detachPlane = () => {
          unguard();
          detachApply();
        };
        opened.push(detachPlane);
      }
      const proxyTls = tlsAddress && keyPair ? { address: tlsAddress, keyPair } : null;
      const engine = new Engine(store, stats, proxy, admin, stateFile, supervisor, deployer, dataPlane, detachPlane, tempLogs, proxyAddress, adminAddress, loaded, proxyTls);
      self.engine = engine;
      store.subscribe((c) => log(`[${c.source}] ${c.summary}`));
      return engine;
    } catch (e) {
      for (const close of opened.reverse()) {
        try {
          await close();
        } catch {
          // What made the start fail is what to report, not a failure to undo it.
        }
      }
      throw e;
    }
  }

  get proxyUrl(): string {
    return `http://${hostForUrl(this.proxyAddress)}`;
  }

  /** The TLS listener's URL (`https://127.0.0.1:8443`), or null without one. */
  get proxyTlsUrl(): string | null {
    return this.proxyTls ? `https://${hostForUrl(this.proxyTls.address)}` : null;
  }

  get adminUrl(): string {
    return `http://${hostForUrl(this.adminAddress)}`;
  }

  info(): { proxy: string; proxy_tls?: string; admin: string; stateFile: string | null; readonly: boolean } {
    const tls = this.proxyTlsUrl;
    return { proxy: this.proxyUrl, ...(tls ? { proxy_tls: tls } : {}), admin: this.adminUrl, stateFile: this.stateFile?.path ?? null, readonly: this.store.readonly };
  }

  /** Stops accepting, lets in-flight requests finish (bounded), saves, closes. */
  async stop(graceMs = 5000): Promise<void> {
    this.deployer.stop();
    await this.admin.close();
    await this.proxy.close(graceMs);
    await this.supervisor.stop();
    this.detachPlane();
    await this.dataPlane.close();
    this.stats.stop();
    if (!this.store.readonly) this.stateFile?.save(this.store.state);
    this.stateFile?.unlock();
    if (this.tempLogs) fs.rmSync(this.tempLogs, { recursive: true, force: true });
  }
}

/** Refuses option combinations that cannot work, with the flag to fix named. */
function checkOptions(o: EngineOptions, adminHost: string, token: string | undefined): void {
  refuseOpenBind(adminHost, token);
  if (o.dataPlane !== undefined && o.dataPlane !== 'in-process' && o.dataPlane !== 'haproxy') {
    throw new Error(`unknown --data-plane ${String(o.dataPlane)}: choose in-process or haproxy`);
  }
  if (o.dataPlane === 'haproxy' && !o.haproxy?.length) throw new Error('--data-plane haproxy needs at least one --haproxy SOCKET_OR_HOST:PORT');
  if (o.dataPlane !== 'haproxy' && o.haproxy?.length) throw new Error(`--haproxy ${o.haproxy.join(', ')} steers HAProxy, but the data plane is in-process: drop --data-plane in-process (--haproxy alone means --data-plane haproxy)`);
}

function readUpstreamCa(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read --upstream-ca ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    new X509Certificate(text);
  } catch {
    throw new Error(`--upstream-ca ${file} is not a PEM certificate`);
  }
  return text;
}

/** The newest table in effect on the data plane, then its requests to `address` done (either plane). */
async function drainPlane(plane: DataPlane | undefined, address: string, deadline: number): Promise<void> {
  if (!plane) return;
  await settledWithin(plane, deadline - Date.now());
  while (Date.now() < deadline && (await plane.inFlight(address)) > 0) await new Promise((r) => setTimeout(r, 20));
}

function hostForUrl(a: AddressInfo): string {
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address;
  return host.includes(':') ? `[${host}]:${a.port}` : `${host}:${a.port}`;
}
