/** The CLI side of `bg-deploy`: what it prints, and following a deployment to its end. */
import type { AdminClient } from './client.js';

export interface BgFlags {
  admin?: string;
  adminToken?: string;
  id?: string;
  action?: string;
  confirm: boolean;
  steps?: string;
  interval: string;
  maxErrorRate?: string;
  maxP99?: string;
}

export interface DeploymentReply {
  id: string;
  mta: string;
  version: string | null;
  state: string;
  message: string | null;
  modules: { name: string; old_app: string | null; new_app: string; routes: string[]; temp_routes: string[] }[];
  steps: number[] | null;
  step: number | null;
  figures: { responses: number; errorRate: number | null; p99: number | null } | null;
  /** What cleanup would delete: new apps and temporary routes still there (by the server's rules). */
  leftovers: { apps: string[]; routes: string[] };
}

/** `30s`, `500ms`, `2m`, or a bare number in `unit`. */
export function duration(text: string, unit: 's' | 'ms'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration '${text}': use e.g. 500ms, 30s or 2m`);
  const n = Number(m[1]);
  const u = m[2] ?? unit;
  return Math.round(u === 'ms' ? n : u === 's' ? n * 1000 : n * 60_000);
}

/** `5%` or `0.05`. */
export function rate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid rate '${text}': use e.g. 5% or 0.05`);
  const n = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (n > 1) throw new Error(`invalid rate '${text}': at most 100%`);
  return n;
}

/** `cleanup` records itself in the message only: "aborted by the operator; cleaned up". */
function cleanedUp(d: DeploymentReply): boolean {
  return d.message?.endsWith('; cleaned up') ?? false;
}

/** A deployment that went wrong: it failed, or its gradual resume aborted it (not the operator). */
function wentWrong(d: DeploymentReply): boolean {
  return d.state === 'failed' || (d.state === 'aborted' && !d.message?.startsWith('aborted by the operator'));
}

/** What a deployment says about itself. */
export function describeDeployment(d: DeploymentReply): string {
  const gone = cleanedUp(d);
  const what = d.modules
    .map((m) => {
      // Resumed: the old version was retired. Cleaned up: the new one was removed.
      if (gone) return m.old_app ? `${m.new_app} removed, ${m.old_app} kept` : `${m.new_app} removed`;
      if (!m.old_app) return m.new_app;
      return d.state === 'resumed' ? `${m.new_app} replaced ${m.old_app}` : `${m.new_app} beside ${m.old_app}`;
    })
    .join(', ');
  const lines = [`Deployment ${d.id} of ${d.mta}${d.version ? ` ${d.version}` : ''}: ${d.state} (${what})${d.message ? `: ${d.message}` : ''}`];
  if (d.state === 'pending') {
    for (const m of d.modules) for (const r of m.temp_routes) lines.push(`  ${m.new_app} answers on ${r}`);
    lines.push('Process needs additional user input');
    lines.push(`Use "switchyard bg-deploy -i ${d.id} -a resume" to resume the process`);
    lines.push(`Use "switchyard bg-deploy -i ${d.id} -a abort" to abort the process`);
  }
  if (d.state === 'resuming' && d.steps && d.step !== null) {
    const f = d.figures;
    lines.push(
      `  step ${d.step + 1}/${d.steps.length}: ${d.steps[d.step]}% to the new version` +
        (f ? ` (${f.responses} responses, 5xx ${f.errorRate === null ? '-' : `${(f.errorRate * 100).toFixed(1)}%`}, p99 ${f.p99 === null ? '-' : `${f.p99.toFixed(0)} ms`})` : ''),
    );
  }
  // Only while there is something to clean up: not after a cleanup, nor once a later deployment reuses the names.
  const left = d.leftovers.apps.length + d.leftovers.routes.length > 0;
  if (d.state === 'aborted' && left) lines.push(`The new version and its temporary routes stay for inspection; remove them with "switchyard bg-deploy -i ${d.id} -a cleanup"`);
  return lines.join('\n') + '\n';
}

const FINAL = new Set(['resumed', 'aborted', 'failed']);

export async function deploymentAction(client: AdminClient, id: string, action: string, gradual: Record<string, unknown> = {}): Promise<void> {
  const path = `/deployments/${encodeURIComponent(id)}`;
  if (action === 'resume' || action === 'abort' || action === 'cleanup') {
    const d = (await client.post(`${path}/${action}`, action === 'resume' ? gradual : {})) as DeploymentReply;
    process.stdout.write(describeDeployment(d));
    if (action === 'resume' && d.state === 'resuming') await monitor(client, path);
    return;
  }
  if (action === 'monitor') return monitor(client, path);
  throw new Error(`unknown action '${action}': use resume, abort, monitor or cleanup`);
}

/**
 * Prints each change of a deployment until it has ended (resumed, aborted, failed) or is pending,
 * waiting for you. Exits 1 only when it went wrong: it failed, or its gradual resume aborted it.
 */
async function monitor(client: AdminClient, path: string): Promise<void> {
  let last = '';
  for (;;) {
    const d = (await client.get(path)) as DeploymentReply;
    const end = FINAL.has(d.state) || d.state === 'pending';
    const text = describeDeployment(d);
    const head = `${d.state}/${d.step}/${d.message}`;
    if (head !== last) process.stdout.write(text);
    last = head;
    if (end) {
      if (wentWrong(d)) process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
