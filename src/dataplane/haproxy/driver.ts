/**
 * HAProxy as switchyard's data plane: a fleet of instances, each steered through its runtime
 * API. `apply(table)` turns the table into the desired HAProxy state (desired.ts), reads each
 * instance, and sends each the difference (plan.ts), all instances in parallel, one sync at a
 * time per instance (a sync queued behind a running one is shared by later applies: the newest
 * table wins). Nothing is reloaded; what the runtime API cannot express is reported per instance
 * as "reload needed".
 *
 * Failure: an instance that does not answer is marked unreachable and tried again every
 * `retryMs`; when it answers, it is synced like any other, which is a full catch-up since the
 * plan starts from what the instance has. A heartbeat (`show info`) notices an instance that
 * restarted between two changes (new pid or start time) and catches it up too. A command an
 * instance refuses is reported for that instance (`lastError`, ApplyResult), never dropped.
 */
import type { RoutingTable } from '../../core/table.js';
import type { ApplyResult, DataPlane, DataPlaneReport, InstanceReport, InstanceResult, TargetReport } from '../types.js';
import { ALL_MAPS, STATIC_VAR, desiredOf, type Desired } from './desired.js';
import { plan, type Actual } from './plan.js';
import { RuntimeClient, RuntimeUnreachable, type InstanceMap, type StatRow } from './runtime.js';

export interface HaproxyFleetOptions {
  /** How often an unreachable instance is tried again, and the heartbeat's period. @default 1000 */
  readonly retryMs?: number;
  /** Per runtime API command. @default 2000 */
  readonly timeoutMs?: number;
  /** One line per event worth a log: unreachable, back, refused commands, reload needed. */
  readonly log?: (line: string) => void;
}

interface Instance {
  readonly id: string;
  readonly client: RuntimeClient;
  /** null until first contacted. */
  reachable: boolean | null;
  lastError: string | null;
  appliedVersion: number | null;
  reloadNeeded: string | null;
  /** `pid@start time` of the process last synced, to notice a restart. */
  identity: string | null;
  pendingRemovals: number;
  busy: number;
  tail: Promise<unknown>;
  queued: { force: boolean; promise: Promise<InstanceResult> } | null;
}

export class HaproxyFleet implements DataPlane {
  readonly kind = 'haproxy' as const;
  readonly external = true;
  private desired: Desired | null = null;
  private latest: Promise<ApplyResult | null> = Promise.resolve(null);
  private readonly fleet: Instance[];
  private readonly log: (line: string) => void;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly retryMs: number;

  constructor(
    readonly instances: readonly string[],
    opts: HaproxyFleetOptions = {},
  ) {
    if (instances.length === 0) throw new Error('the haproxy data plane needs at least one instance (--haproxy SOCKET_OR_HOST:PORT)');
    this.log = opts.log ?? (() => {});
    this.fleet = [...new Set(instances)].map((id) => ({
      id,
      client: new RuntimeClient(id, { timeoutMs: opts.timeoutMs }),
      reachable: null,
      lastError: null,
      appliedVersion: null,
      reloadNeeded: null,
      identity: null,
      pendingRemovals: 0,
      busy: 0,
      tail: Promise.resolve(),
      queued: null,
    }));
    this.retryMs = opts.retryMs ?? 1000;
    this.timer = setInterval(() => this.heartbeat(), this.retryMs);
    this.timer.unref();
  }

  /** What the current table asks for that HAProxy does not express (wildcard hosts, methods, …). */
  get warnings(): readonly string[] {
    return this.desired?.warnings ?? [];
  }

  get version(): number | null {
    return this.desired?.version ?? null;
  }

  apply(table: RoutingTable): Promise<ApplyResult> {
    this.desired = desiredOf(table);
    const result = this.all(false);
    this.latest = result;
    return result;
  }

  settled(): Promise<ApplyResult | null> {
    return this.latest;
  }

  /** Sessions each reachable instance has open with a server at this address (any backend), summed. */
  refusal(table: RoutingTable): string | null {
    const r = desiredOf(table).refusals;
    return r.length ? `HAProxy cannot balance as asked: ${r.join('; ')}` : null;
  }

  async inFlight(address: string): Promise<number> {
    const per = await Promise.all(
      this.fleet
        .filter((i) => i.reachable !== false)
        .map((i) =>
          i.client.showStat().then(
            (rows) => rows.reduce((n, r) => (r.addr === address && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND' ? n + r.scur + r.qcur : n), 0),
            // An instance that did not answer may still be sending: not idle (the drain is bounded).
            () => 1,
          ),
        ),
    );
    return per.reduce((a, b) => a + b, 0);
  }

  reapply(): Promise<ApplyResult> {
    return this.all(true);
  }

  private async all(force: boolean): Promise<ApplyResult> {
    const perInstance = await Promise.all(this.fleet.map((i) => this.schedule(i, force)));
    return { ok: perInstance.every((r) => r.ok), version: this.desired?.version ?? null, perInstance };
  }

  /** Queues a sync of one instance; a sync already queued (not yet running) is shared. */
  private schedule(inst: Instance, force: boolean): Promise<InstanceResult> {
    if (inst.queued) {
      inst.queued.force ||= force;
      return inst.queued.promise;
    }
    const entry: { force: boolean; promise: Promise<InstanceResult> } = { force, promise: Promise.resolve({ id: inst.id, ok: true }) };
    inst.busy++;
    entry.promise = inst.tail
      .then(() => {
        inst.queued = null;
        return this.sync(inst, entry.force);
      })
      .finally(() => inst.busy--);
    inst.queued = entry;
    inst.tail = entry.promise.catch(() => {});
    return entry.promise;
  }

  private async readActual(inst: Instance): Promise<{ actual: Actual; identity: string }> {
    const c = inst.client;
    const [info, backends, servers, loaded, staticSignature] = await Promise.all([c.showInfo(), c.showBackends(), c.showServersState(), c.showMaps(), c.getVar(STATIC_VAR)]);
    const maps: Record<string, InstanceMap> = {};
    await Promise.all(
      ALL_MAPS.map(async (name) => {
        const file = loaded.find((m) => m.file.endsWith(`/${name}`) || m.file === name)?.file;
        if (file) maps[name] = { file, entries: await c.showMap(file) };
      }),
    );
    return {
      actual: { backends: new Set(backends), servers, staticSignature, maps },
      identity: `${info.Pid}@${info.Start_time_sec ?? info.Uptime_sec}`,
    };
  }

  private async sync(inst: Instance, force: boolean): Promise<InstanceResult> {
    const d = this.desired;
    if (d === null || this.closed) return { id: inst.id, ok: inst.reachable !== false };
    let read: { actual: Actual; identity: string };
    try {
      read = await this.readActual(inst);
    } catch (e) {
      return this.failed(inst, e);
    }
    const p = plan(d, read.actual, force);
    const refused: string[] = [];
    let deferred = 0;
    for (const step of p.steps) {
      try {
        if (step.kind === 'map') await inst.client.replaceMap(step.map, step.entries);
        else await inst.client.exec(step.command);
      } catch (e) {
        if (e instanceof RuntimeUnreachable) return this.failed(inst, e);
        if (step.kind === 'cmd' && step.soft) {
          deferred++;
          continue;
        }
        refused.push((e as Error).message);
      }
    }
    const wasDown = inst.reachable === false;
    inst.reachable = true;
    inst.identity = read.identity;
    inst.pendingRemovals = deferred;
    const reload = p.reloadNeeded.length ? p.reloadNeeded.join('; ') : null;
    if (reload !== inst.reloadNeeded && reload !== null) this.log(`haproxy ${inst.id}: reload needed: ${reload}`);
    inst.reloadNeeded = reload;
    if (refused.length) {
      inst.lastError = `refused: ${refused.join('; ')}`;
      this.log(`haproxy ${inst.id}: ${inst.lastError}`);
      return { id: inst.id, ok: false, error: inst.lastError, ...(reload ? { reloadNeeded: reload } : {}) };
    }
    inst.lastError = null;
    if (wasDown) this.log(`haproxy ${inst.id}: back, caught up to table version ${d.version}`);
    if (reload) return { id: inst.id, ok: false, reloadNeeded: reload };
    inst.appliedVersion = d.version;
    return { id: inst.id, ok: true };
  }

  private failed(inst: Instance, e: unknown): InstanceResult {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof RuntimeUnreachable) {
      if (inst.reachable !== false) this.log(`haproxy ${inst.id}: unreachable (${message}); retrying every ${this.retryMs} ms`);
      inst.reachable = false;
      inst.identity = null;
      inst.appliedVersion = null;
      inst.lastError = `unreachable: ${message}`;
      return { id: inst.id, ok: false, error: inst.lastError };
    }
    inst.lastError = message;
    return { id: inst.id, ok: false, error: message };
  }

  /** Retries unreachable instances, catches up restarted ones, finishes deferred removals. */
  private heartbeat(): void {
    if (this.closed || this.desired === null) return;
    for (const inst of this.fleet) {
      if (inst.busy > 0) continue;
      if (inst.reachable !== true || inst.pendingRemovals > 0) {
        void this.schedule(inst, false);
        continue;
      }
      inst.busy++;
      void inst.client
        .showInfo()
        .then((info) => {
          const identity = `${info.Pid}@${info.Start_time_sec ?? info.Uptime_sec}`;
          if (inst.identity !== null && identity !== inst.identity) {
            this.log(`haproxy ${inst.id}: restarted (pid ${info.Pid}); catching up`);
            inst.appliedVersion = null;
            void this.schedule(inst, false);
          }
        })
        .catch((e: unknown) => {
          this.failed(inst, e);
        })
        .finally(() => inst.busy--);
    }
  }

  async report(): Promise<DataPlaneReport> {
    const d = this.desired;
    const perInstance = await Promise.all(
      this.fleet.map(async (inst) => {
        try {
          const [stat, read] = await Promise.all([inst.client.showStat(), this.readActual(inst)]);
          const p = d ? plan(d, read.actual) : null;
          if (inst.reachable === false) void this.schedule(inst, false);
          else if (inst.identity !== null && read.identity !== inst.identity) {
            inst.appliedVersion = null;
            void this.schedule(inst, false);
          }
          return { inst, stat, placed: p?.desired ?? null, drift: p?.drift ?? [], reloadNeeded: p && p.reloadNeeded.length ? p.reloadNeeded.join('; ') : null };
        } catch (e) {
          this.failed(inst, e);
          return { inst, stat: null, placed: null, drift: [], reloadNeeded: inst.reloadNeeded };
        }
      }),
    );
    const instances: InstanceReport[] = perInstance.map(({ inst, stat, drift, reloadNeeded }) => ({
      id: inst.id,
      reachable: stat !== null,
      drift,
      lastError: inst.lastError,
      appliedVersion: stat !== null ? inst.appliedVersion : null,
      reloadNeeded,
    }));
    return { targets: d ? sumTargets(d, perInstance) : [], instances };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.race([Promise.all(this.fleet.map((i) => i.tail)), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

interface Sum {
  key: string;
  upstream: string;
  target: string;
  requests: number;
  rate: number;
  status: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  errors: number;
  healthy: boolean;
}

/**
 * `show stat` of every reachable instance, summed per target (a target in several services counts
 * once, all its servers summed). Each instance is read with its own placement: a service added
 * later may sit on a different spare backend on each.
 */
function sumTargets(d: Desired, perInstance: readonly { stat: readonly StatRow[] | null; placed: Desired | null }[]): TargetReport[] {
  const byKey = new Map<string, Sum>();
  for (const b of d.backends) {
    for (const s of b.servers) {
      if (!byKey.has(s.key)) {
        byKey.set(s.key, { key: s.key, upstream: s.upstream, target: s.target, requests: 0, rate: 0, status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0, healthy: true });
      }
    }
  }
  for (const { stat, placed } of perInstance) {
    if (stat === null) continue;
    const byServer = new Map<string, Sum>();
    for (const b of (placed ?? d).backends) for (const s of b.servers) byServer.set(`${b.name}/${s.name}`, byKey.get(s.key)!);
    for (const r of stat) {
      const sum = byServer.get(`${r.pxname}/${r.svname}`);
      if (!sum) continue;
      sum.requests += r.stot;
      sum.rate += r.rate;
      for (const k of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) sum.status[k] += r.hrsp[k];
      sum.errors += r.econ + r.eresp;
      if (r.status.startsWith('DOWN') || r.status.startsWith('MAINT')) sum.healthy = false;
    }
  }
  return [...byKey.values()];
}
