/**
 * Waiting for an address to answer (its port accepts, or its health path returns 2xx), and with
 * it the admission of apps given by addresses: each address joins the upstream once it answers,
 * as a process instance does; an address no longer given leaves. After that, the proxy's health
 * checks watch it like any target.
 */
import type { App, State } from '../core/model.js';
import type { Store } from '../core/store.js';
import { answers, probe } from '../proxy/probe.js';
import type { TargetSync } from './targets.js';

export interface Poll {
  readonly host: string;
  readonly port: number;
  /** Read before each look: the app's health path may change meanwhile. */
  readonly path: () => string | null | undefined;
  /** Read before each look: false ends the wait. */
  readonly keepGoing: () => boolean;
  readonly everyMs: number;
  /** Give up after this time (ms since the epoch). */
  readonly deadline?: number;
}

/** Looks at the address until it answers, `keepGoing` says no more, or the deadline has passed. */
export async function pollUntilAnswers(p: Poll): Promise<'answers' | 'timeout' | 'stopped'> {
  while (p.keepGoing()) {
    if (answers(await probe(p.host, p.port, { path: p.path() }))) return 'answers';
    if (p.deadline !== undefined && Date.now() > p.deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, p.everyMs));
  }
  return 'stopped';
}

export interface AddressProberOptions {
  readonly store: Store;
  readonly targets: TargetSync;
  readonly log: (line: string) => void;
  /** An address answered: converge again. */
  readonly changed: () => void;
  readonly stopped: () => boolean;
}

export class AddressProber {
  /** Per app given by addresses: those that have answered. */
  private readonly admitted = new Map<string, Set<string>>();
  private readonly probing = new Set<string>();

  constructor(private readonly o: AddressProberOptions) {}

  /** The app's upstream holds exactly its given addresses that answered; the others are probed. */
  admit(app: App, state: State): void {
    const up = state.upstreams.find((u) => u.name === app.name);
    if (!up) return;
    const want = new Set(app.targets ?? []);
    let admitted = this.admitted.get(app.id);
    if (!admitted) {
      // Addresses already in the upstream (a restart of switchyard) were admitted before.
      admitted = new Set(up.targets.map((t) => t.target).filter((a) => want.has(a)));
      this.admitted.set(app.id, admitted);
    }
    for (const a of [...admitted]) if (!want.has(a)) admitted.delete(a);
    this.o.targets.sync(state, up.name, admitted);
    for (const a of want) if (!admitted.has(a)) void this.probeUntilUp(app.id, a, admitted);
  }

  /** Forgets apps that are gone or no longer given by addresses. */
  forget(state: State): void {
    for (const id of this.admitted.keys())
      if (!state.apps.some((a) => a.id === id && a.command === null)) this.admitted.delete(id);
  }

  private async probeUntilUp(appId: string, address: string, admitted: Set<string>): Promise<void> {
    const key = `${appId}/${address}`;
    if (this.probing.has(key)) return;
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
    if (!m) return;
    this.probing.add(key);
    let app: App | undefined;
    try {
      const outcome = await pollUntilAnswers({
        host: (m[1] as string).replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        path: () => app?.health_path,
        keepGoing: () => {
          if (this.o.stopped()) return false;
          app = this.o.store.state.apps.find((a) => a.id === appId);
          return app !== undefined && (app.targets ?? []).includes(address);
        },
        everyMs: 500,
      });
      if (outcome === 'answers' && app) {
        admitted.add(address);
        this.o.log(`[supervisor] ${app.name}: ${address} answers; it takes traffic`);
        this.o.changed();
      }
    } finally {
      this.probing.delete(key);
    }
  }
}
