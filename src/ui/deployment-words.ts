/**
 * Every sentence about a blue-green deployment, in one place: what its keys will do before they
 * are pressed, the step a gradual resume is at, the questions before an abort or a cleanup, and
 * what each action did once done.
 */
import type { Deployment } from '../core/model.js';
import { fmtDuration, fmtMs } from './format.js';
import type { Tone } from './theme.js';
import type { DeploymentRow, Figures } from './view/deployments.js';

/** `a, b and c`; `unique` drops repeats (the pane's lists), else every item is said (the flashes). */
function list(items: readonly string[], unique = true): string {
  const all = unique ? [...new Set(items)] : items;
  if (all.length <= 1) return all[0] ?? '';
  return `${all.slice(0, -1).join(', ')} and ${all[all.length - 1] ?? ''}`;
}

/** Every item said, repeats and all (the flashes name each module's app). */
function every(items: readonly string[]): string {
  return list(items, false);
}

function pct(rate: number): string {
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** `shop 2.0.0`: what people call a deployment (its id is on screen beside it). */
export function deploymentName(d: Deployment): string {
  return `${d.mta}${d.version ? ` ${d.version}` : ''}`;
}

function newApps(d: Deployment): string {
  return every(d.modules.map((m) => m.new_app));
}

function oldApps(d: Deployment): string {
  return every(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : []))) || 'the old version';
}

/** What `r`, `a` and `c` will do to a deployment, in words, before the key is pressed. */
export function deploymentPlan(row: DeploymentRow): { resume: string; abort: string; cleanup: string } {
  const d = row.deployment;
  const routes = list(d.modules.flatMap((m) => m.routes));
  const news = list(d.modules.map((m) => m.new_app));
  const olds = list(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : [])));
  const temps = list(d.modules.flatMap((m) => m.temp_routes));
  const limits = [
    d.max_error_rate !== null ? `5xx > ${pct(d.max_error_rate)}` : '',
    d.max_p99_ms !== null ? `p99 > ${d.max_p99_ms}ms` : '',
  ].filter(Boolean);
  const resume =
    d.steps && d.steps.length > 0
      ? `step by step: ${routes} → ${news} ${d.steps.join('% → ')}%, ${fmtDuration(d.interval_ms ?? 30_000)} a step` +
        (limits.length ? `; aborts itself if ${limits.join(' or ')}` : '')
      : `${routes} → ${news} 100%` +
        (temps ? `; ${temps} removed` : '') +
        (olds ? `; ${olds} drained and deleted` : '');
  const keep = [news, temps].filter(Boolean).join(' and ');
  const abort =
    d.state === 'resuming'
      ? `${routes} back to ${olds || 'the old version'} 100%; ${keep} stay for a look (then c removes them)`
      : `${olds || 'the old version'} keeps ${routes}; ${keep} stay for a look (then c removes them)`;
  const cleanup = `delete ${list([...row.leftovers.apps, ...row.leftovers.routes]) || 'nothing left'}`;
  return { resume, abort, cleanup };
}

/** A few words under a deployment: what a key will do, or how a step goes. */
export interface Paragraph {
  /** The key that does it, and its name. */
  readonly key?: string;
  readonly label?: string;
  readonly text: string;
  readonly tone?: Tone;
}

function figuresText(d: Deployment, f: Figures | null): string {
  if (!f) return 'judged on the new version’s 5xx rate and p99 latency';
  const rate = f.errorRate === null ? '–' : `${(f.errorRate * 100).toFixed(1)}%`;
  const limitRate = d.max_error_rate === null ? '' : ` (max ${pct(d.max_error_rate)})`;
  const limitP99 = d.max_p99_ms === null ? '' : ` (max ${d.max_p99_ms}ms)`;
  return `judged on ${f.responses} responses: 5xx ${rate}${limitRate} · p99 ${f.p99 === null ? '–' : `${fmtMs(f.p99)}ms`}${limitP99}`;
}

/** What shows under a deployment's header and its apps: the step it is at, what each key will do. */
export function deploymentParagraphs(row: DeploymentRow): Paragraph[] {
  const d = row.deployment;
  const plan = deploymentPlan(row);
  switch (d.state) {
    case 'pending':
      return [
        { key: 'r', label: 'resume', text: plan.resume },
        { key: 'a', label: 'abort', text: plan.abort },
      ];
    case 'resuming': {
      const steps = d.steps ?? [];
      const i = d.step ?? 0;
      const news = list(d.modules.map((m) => m.new_app));
      const next = steps[i + 1];
      const when = row.nextStepMs === null ? '' : fmtDuration(Math.ceil(row.nextStepMs / 1000) * 1000);
      const step =
        `step ${i + 1}/${steps.length}: ${news} has ${steps[i] ?? 0}% of ${list(d.modules.flatMap((m) => m.routes))}; ` +
        (next === undefined ? `resumed in ${when}` : `next step (${next}%) in ${when}`);
      return [
        { text: step, tone: 'pending' },
        { text: figuresText(d, row.figures) },
        { key: 'a', label: 'abort', text: plan.abort },
      ];
    }
    case 'deploying':
      return [];
    default:
      return [
        ...(d.message ? [{ text: d.message, tone: (d.state === 'failed' ? 'error' : 'muted') as Tone }] : []),
        ...(row.can.cleanup ? [{ key: 'c', label: 'clean up', text: plan.cleanup }] : []),
      ];
  }
}

/** The flash while a resume runs (the routes switch before it is done). */
export function resumingText(d: Deployment): string {
  return `resuming ${deploymentName(d)} (${d.id})…`;
}

/** What a resume did, once it is done. */
export function resumedText(d: Deployment): string {
  const news = newApps(d);
  const routes = every(d.modules.flatMap((m) => m.routes));
  if (d.state === 'resuming' && d.steps && d.step !== null)
    return `${deploymentName(d)} resuming step by step: ${news} has ${d.steps[d.step]}% of ${routes}`;
  const olds = every(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : [])));
  return `${deploymentName(d)} live: ${routes} → ${news}${olds ? `; ${olds} retired` : ''}`;
}

export function abortQuestion(d: Deployment): string {
  return `Abort ${deploymentName(d)} (${d.id})? ${oldApps(d)} keeps all traffic`;
}

/** With the row on screen, the question names what a cleanup deletes. */
export function cleanupQuestion(d: Deployment, row: DeploymentRow | undefined): string {
  const what = row ? `: ${deploymentPlan(row).cleanup}` : '';
  return `Clean up ${deploymentName(d)} (${d.id})${what}?`;
}

export function abortedText(d: Deployment): string {
  return `${deploymentName(d)} aborted: ${oldApps(d)} keeps all traffic; c cleans up`;
}

export function cleanedText(d: Deployment): string {
  return `${deploymentName(d)} cleaned up: ${newApps(d)} deleted`;
}

/** The flash once `:bg-deploy FILE` has got as far as it goes alone (pending, live or failed). */
export function deployedText(d: Deployment): string {
  const more = d.message
    ? `: ${d.message}`
    : d.state === 'pending'
      ? '; r resumes, a aborts (deployments pane)'
      : '';
  return `${deploymentName(d)} (${d.id}): ${d.state}${more}`;
}

/** The flash while `:bg-deploy FILE` starts. */
export function deployingText(id: string, version: string | null | undefined, file: string): string {
  return `deploying ${id}${version ? ` ${version}` : ''} from ${file}…`;
}
