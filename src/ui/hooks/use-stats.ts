/**
 * Live numbers without re-rendering per request: a timer takes a frozen stats snapshot once a
 * second and components read it with useSyncExternalStore. Pausing stops the timer, so
 * the screen holds still.
 */
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { StatsSnapshot } from '../../proxy/stats.js';

export interface StatsSource {
  snapshot(): StatsSnapshot;
}

/**
 * How often the UI samples the stats: once a second, the resolution of the rates and sparklines
 * it shows (k9s refreshes every two). Each sample that changes a number draws a whole frame, a
 * cost per second that a busy proxy pays per request. Keys and changes draw at once. @default 1000 ms
 */
export const SAMPLE_MS = 1000;
/** How far back `before` looks, for what happened lately (errors per attempt). */
const LOOKBACK_MS = 2000;

/** The latest snapshot and one from about two seconds earlier. */
export interface LiveStats {
  readonly now: StatsSnapshot;
  readonly before: StatsSnapshot;
}

export class StatsSampler {
  private current: LiveStats;
  private readonly history: StatsSnapshot[] = [];
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    private readonly stats: StatsSource,
    private readonly intervalMs: number = SAMPLE_MS,
  ) {
    const first = stats.snapshot();
    this.history.push(first);
    this.current = Object.freeze({ now: first, before: first });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      this.schedule();
    };
  };

  readonly getSnapshot = (): LiveStats => this.current;

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) this.sample();
    this.schedule();
  }

  /** Takes a snapshot now and tells the readers. */
  sample(): void {
    const now = this.stats.snapshot();
    this.history.push(now);
    while (this.history.length > 1 && now.at - (this.history[1] as StatsSnapshot).at >= LOOKBACK_MS)
      this.history.shift();
    this.current = Object.freeze({ now, before: this.history[0] as StatsSnapshot });
    for (const l of this.listeners) l();
  }

  private schedule(): void {
    const want = this.listeners.size > 0 && !this.paused;
    if (want && !this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    } else if (!want && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

export function useStatsSnapshot(stats: StatsSource, paused: boolean, intervalMs = SAMPLE_MS): LiveStats {
  const sampler = useMemo(() => new StatsSampler(stats, intervalMs), [stats, intervalMs]);
  useEffect(() => {
    sampler.setPaused(paused);
  }, [sampler, paused]);
  return useSyncExternalStore(sampler.subscribe, sampler.getSnapshot);
}
