/**
 * A gradual resume's judgement: the steps it may take, the new version's figures over the
 * current step (5xx share and p99, counted from the step's start), and whether they breach the
 * deployment's limits.
 */
import { SwitchyardError } from '../core/errors.js';
import type { Deployment, State } from '../core/model.js';
import type { Stats } from '../proxy/stats.js';

/** Fewer responses than this in a step say nothing about error rates yet. */
const MIN_RESPONSES = 5;

export interface StepFigures {
  readonly responses: number;
  readonly errorRate: number | null;
  readonly p99: number | null;
}

/** Steps are percentages 1..100, increasing, ending at 100. */
export function checkSteps(steps: readonly number[]): void {
  if (!steps.length) throw SwitchyardError.schema({ steps: 'give at least one step, e.g. 10,50,100' });
  steps.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1 || s > 100)
      throw SwitchyardError.schema({ [`steps[${i}]`]: 'a step is a percentage 1..100' });
    if (i > 0 && s <= steps[i - 1]!) throw SwitchyardError.schema({ [`steps[${i}]`]: 'steps must increase' });
  });
  if (steps[steps.length - 1] !== 100) throw SwitchyardError.schema({ steps: 'the last step must be 100' });
}

/** The new apps' figures per step: the first look at a step records its baseline. */
export class StepJudge {
  private readonly baselines = new Map<string, { responses: number; errors: number }>();

  constructor(private readonly stats: Stats) {}

  /** The figures a gradual step is judged on, for the new apps over the step so far. */
  figures(state: State, d: Deployment): StepFigures {
    const snap = this.stats.snapshot();
    let responses = 0;
    let errors = 0;
    let p99: number | null = null;
    for (const m of d.modules) {
      const up = state.upstreams.find((u) => u.name === m.new_app);
      const c = up ? snap.upstreams[up.id] : undefined;
      if (!c) continue;
      const base = this.baselines.get(`${d.id}/${d.step}/${up!.id}`) ?? { responses: 0, errors: 0 };
      const total = c.status['1xx'] + c.status['2xx'] + c.status['3xx'] + c.status['4xx'] + c.status['5xx'];
      if (!this.baselines.has(`${d.id}/${d.step}/${up!.id}`))
        this.baselines.set(`${d.id}/${d.step}/${up!.id}`, { responses: total, errors: c.status['5xx'] });
      responses += total - base.responses;
      errors += c.status['5xx'] - base.errors;
      if (c.p99 !== null) p99 = Math.max(p99 ?? 0, c.p99);
    }
    return { responses, errorRate: responses > 0 ? errors / responses : null, p99 };
  }
}

/** Why the step at `share`% must abort, or null: a limit of the deployment breached, once enough has been seen. */
export function breach(d: Deployment, f: StepFigures, share: number): string | null {
  if (f.responses < MIN_RESPONSES) return null;
  if (d.max_error_rate !== null && f.errorRate !== null && f.errorRate > d.max_error_rate)
    return `aborted at step ${share}%: 5xx rate ${(f.errorRate * 100).toFixed(1)}% > ${(d.max_error_rate * 100).toFixed(1)}%`;
  if (d.max_p99_ms !== null && f.p99 !== null && f.p99 > d.max_p99_ms)
    return `aborted at step ${share}%: p99 ${f.p99.toFixed(0)} ms > ${d.max_p99_ms} ms`;
  return null;
}
