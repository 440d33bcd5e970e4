/**
 * The HAProxy fleet's live numbers and state, read about once a second: `report()` asks every
 * instance (`show stat`, servers, maps), far too much to do per frame. As with the stats, a
 * timer publishes a frozen snapshot and components read it with useSyncExternalStore; only one
 * read runs at a time. Pausing stops the timer (a re-apply or a change still reads once, so
 * what they did shows).
 */
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import type { ApplyResult, DataPlaneReport } from '../../dataplane/types.js';
import type { FleetControl } from '../ports.js';
import { EMPTY_FLEET, notApplied, notAppliedText, type FleetSnapshot } from '../fleet.js';

/** What the UI needs of the data plane. */
export interface FleetSource {
  report(): Promise<DataPlaneReport>;
  reapply(): Promise<ApplyResult>;
}

/** How often the fleet is read. @default 1000 ms */
export const FLEET_MS = 1000;
/** How far back `before` looks. */
const LOOKBACK_MS = 2000;
/** Values kept per target for the sparkline (one per read). */
const SERIES = 60;
/** How long a change may take to reach every instance before the UI says which did not take it. */
export const CONFIRM_MS = 3000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class FleetSampler implements FleetControl {
  private current: FleetSnapshot = EMPTY_FLEET;
  private readonly history: { at: number; report: DataPlaneReport }[] = [];
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private reading: Promise<FleetSnapshot> | null = null;
  /** Reads started so far, and the number of the one under way. */
  private started = 0;
  private readingNo = 0;

  constructor(
    private readonly plane: FleetSource,
    private readonly intervalMs: number = FLEET_MS,
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.current === EMPTY_FLEET) void this.sample();
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      this.schedule();
    };
  };

  readonly getSnapshot = (): FleetSnapshot => this.current;

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) void this.sample();
    this.schedule();
  }

  /**
   * Reads every instance and tells the readers. A read already under way is shared; with
   * `fresh`, only one that started after this call is (to see what happened after a change).
   */
  async sample(fresh = false): Promise<FleetSnapshot> {
    // Reads numbered up to `stale` started before this call.
    const stale = fresh ? this.started : -1;
    for (;;) {
      const running = this.reading;
      if (!running) break;
      if (this.readingNo > stale) return running;
      await running.catch(() => undefined);
    }
    const no = ++this.started;
    const read: Promise<FleetSnapshot> = this.read().finally(() => {
      if (this.reading === read) this.reading = null;
    });
    this.reading = read;
    this.readingNo = no;
    return read;
  }

  private async read(): Promise<FleetSnapshot> {
    let report: DataPlaneReport;
    try {
      report = await this.plane.report();
    } catch {
      // report() never rejects; if one ever did, the last snapshot stands.
      return this.current;
    }
    const at = Date.now();
    this.history.push({ at, report });
    while (this.history.length > 1 && at - (this.history[1] as { at: number }).at >= LOOKBACK_MS)
      this.history.shift();
    const series = new Map<string, readonly number[]>();
    for (const t of report.targets) {
      const old = this.current.series.get(t.key) ?? [];
      series.set(t.key, [...old.slice(-(SERIES - 1)), t.rate ?? 0]);
    }
    this.current = Object.freeze({
      at,
      report,
      before: (this.history[0] as { report: DataPlaneReport }).report,
      series,
    });
    for (const l of this.listeners) l();
    return this.current;
  }

  /** Pushes the whole state to every instance again, then reads the fleet so the drift clears at once. */
  async reapply(): Promise<ApplyResult> {
    const result = await this.plane.reapply();
    await this.sample(true);
    return result;
  }

  /**
   * Waits (at most `timeoutMs`) until every instance took table `version`, reading the fleet as
   * it goes; resolves to null when they all did, else to the sentence naming those that did not
   * and why.
   */
  async verdict(version: number, timeoutMs = CONFIRM_MS): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    // The change is being applied in parallel: give it a moment before looking.
    await sleep(100);
    for (;;) {
      const { report } = await this.sample(true);
      if (!report) return null;
      const missed = notApplied(report, version);
      if (missed.failed.length === 0 && missed.pending.length === 0) return null;
      if (missed.pending.length === 0 || Date.now() >= deadline) return notAppliedText(report, missed);
      await sleep(200);
    }
  }

  private schedule(): void {
    const want = this.listeners.size > 0 && !this.paused;
    if (want && !this.timer) {
      this.timer = setInterval(() => void this.sample(), this.intervalMs);
      this.timer.unref();
    } else if (!want && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/**
 * The fleet's snapshot, sampled while mounted; `source` undefined (the in-process data plane)
 * gives no sampler and a null snapshot.
 */
export function useFleet(
  source: FleetSource | undefined,
  paused: boolean,
  intervalMs = FLEET_MS,
): { readonly sampler: FleetSampler | null; readonly snapshot: FleetSnapshot | null } {
  const sampler = useMemo(() => (source ? new FleetSampler(source, intervalMs) : null), [source, intervalMs]);
  useEffect(() => {
    sampler?.setPaused(paused);
  }, [sampler, paused]);
  const subscribe = useCallback(
    (onChange: () => void) => (sampler ? sampler.subscribe(onChange) : () => {}),
    [sampler],
  );
  const get = useCallback(() => (sampler ? sampler.getSnapshot() : null), [sampler]);
  const snapshot = useSyncExternalStore(subscribe, get);
  return { sampler, snapshot };
}
