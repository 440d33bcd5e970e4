/**
 * The CLI side of `bg-deploy` and `deployments`: their commands, what they print, and following
 * a deployment to its end.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { AdminClient } from './client.js';
import { admin, clientOptions, readFile, type ClientFlags } from './options.js';
import { formatDeployments } from './tables.js';

interface BgFlags extends ClientFlags {
  id?: string;
  action?: string;
  confirm: boolean;
  steps?: string;
  interval: string;
  maxErrorRate?: string;
  maxP99?: string;
  sticky?: string;
  defaultDomain?: string;
}

interface DeploymentReply {
  id: string;
  mta: string;
  version: string | null;
  state: string;
  message: string | null;
  modules: {
    name: string;
    old_app: string | null;
    new_app: string;
    routes: string[];
    temp_routes: string[];
  }[];
  steps: number[] | null;
  step: number | null;
  figures: { responses: number; errorRate: number | null; p99: number | null } | null;
  /** While deploying: each new app's instances answering of those wanted. */
  progress?: { app: string; healthy: number; desired: number }[] | null;
  /** In the answer to POST /deployments: what the descriptor says that has no meaning here. */
  notes?: string[];
  /** What cleanup would delete: new apps and temporary routes still there (by the server's rules). */
  leftovers: { apps: string[]; routes: string[] };
}

/** `30s`, `500ms`, `2m`, or a bare number in `unit`. */
function duration(text: string, unit: 's' | 'ms'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration '${text}': use e.g. 500ms, 30s or 2m`);
  const n = Number(m[1]);
  const u = m[2] ?? unit;
  return Math.round(u === 'ms' ? n : u === 's' ? n * 1000 : n * 60_000);
}

/** `5%` or `0.05`. */
function rate(text: string): number {
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
      return d.state === 'resumed'
        ? `${m.new_app} replaced ${m.old_app}`
        : `${m.new_app} beside ${m.old_app}`;
    })
    .join(', ');
  const lines = [
    `Deployment ${d.id} of ${d.mta}${d.version ? ` ${d.version}` : ''}: ${d.state} (${what})${d.message ? `: ${d.message}` : ''}`,
  ];
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
        (f
          ? ` (${f.responses} responses, 5xx ${f.errorRate === null ? '-' : `${(f.errorRate * 100).toFixed(1)}%`}, p99 ${f.p99 === null ? '-' : `${f.p99.toFixed(0)} ms`})`
          : ''),
    );
  }
  // Only while there is something to clean up: not after a cleanup, nor once a later deployment reuses the names.
  const left = d.leftovers.apps.length + d.leftovers.routes.length > 0;
  if (d.state === 'aborted' && left)
    lines.push(
      `The new version and its temporary routes stay for inspection; remove them with "switchyard bg-deploy -i ${d.id} -a cleanup"`,
    );
  return lines.join('\n') + '\n';
}

const FINAL = new Set(['resumed', 'aborted', 'failed']);
/** Long actions (a resume retires the old apps before it answers) get more than a plain request's time. */
const ACTION_TIMEOUT_MS = 5 * 60_000;
/** How often a wait with nothing new says it is still waiting. */
const PROGRESS_EVERY_MS = 5_000;

function handles(id: string): string {
  return `Follow it with "switchyard bg-deploy -i ${id} -a monitor"; abort it with "switchyard bg-deploy -i ${id} -a abort"`;
}

/**
 * The answer to POST /deployments: the deployment exists (deploying). Says its id and how to act
 * on it at once, then follows it until it is pending or has ended.
 */
async function followNew(client: AdminClient, d: DeploymentReply): Promise<void> {
  for (const n of d.notes ?? []) process.stdout.write(`note: ${n}\n`);
  const apps = d.modules.map((m) => (m.old_app ? `${m.new_app} beside ${m.old_app}` : m.new_app)).join(', ');
  process.stdout.write(
    `Deployment ${d.id} of ${d.mta}${d.version ? ` ${d.version}` : ''} started: ${apps}\n`,
  );
  process.stdout.write(
    `${handles(d.id)}; once it is pending, resume it with "switchyard bg-deploy -i ${d.id} -a resume"\n`,
  );
  await monitor(client, d.id, true);
}

async function deploymentAction(
  client: AdminClient,
  id: string,
  action: string,
  gradual: Record<string, unknown> = {},
): Promise<void> {
  const path = `/deployments/${encodeURIComponent(id)}`;
  if (action === 'resume' || action === 'abort' || action === 'cleanup') {
    const d = (await client.post(
      `${path}/${action}`,
      action === 'resume' ? gradual : {},
      ACTION_TIMEOUT_MS,
    )) as DeploymentReply;
    process.stdout.write(describeDeployment(d));
    if (action === 'resume' && d.state === 'resuming') await monitor(client, id);
    return;
  }
  if (action === 'monitor') return monitor(client, id);
  throw new Error(`unknown action '${action}': use resume, abort, monitor or cleanup`);
}

/**
 * Prints each change of a deployment until it has ended (resumed, aborted, failed) or is pending,
 * waiting for you; while its apps start, a progress line when they change (or every few seconds).
 * Ctrl-C leaves it going on in the server, and says how to act on it.
 * Exits 1 only when it went wrong: it failed, or its gradual resume aborted it.
 */
async function monitor(client: AdminClient, id: string, announced = false): Promise<void> {
  const path = `/deployments/${encodeURIComponent(id)}`;
  const onInterrupt = () => {
    process.stderr.write(
      `\nDeployment ${id} goes on in the switchyard server; ${handles(id).replace(/^F/, 'f')}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    // Announced: its deploying state was just said.
    let last = announced ? 'deploying/null/null' : '';
    let lastProgress = '';
    let progressAt = Date.now();
    const started = Date.now();
    for (;;) {
      const d = (await client.get(path)) as DeploymentReply;
      const end = FINAL.has(d.state) || d.state === 'pending';
      const head = `${d.state}/${d.step}/${d.message}`;
      if (head !== last) process.stdout.write(describeDeployment(d));
      last = head;
      if (end) {
        if (wentWrong(d)) process.exitCode = 1;
        return;
      }
      if (d.state === 'deploying' && d.progress) {
        const p = d.progress.map((x) => `${x.app} ${x.healthy}/${x.desired}`).join(', ');
        if (p !== lastProgress || Date.now() - progressAt >= PROGRESS_EVERY_MS) {
          process.stdout.write(
            `  waiting for the new apps to answer: ${p} instances answering (${Math.round((Date.now() - started) / 1000)}s)\n`,
          );
          lastProgress = p;
          progressAt = Date.now();
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** `bg-deploy` (start one, or act on one by id) and `deployments`. */
export function addDeployCommands(program: Command): void {
  clientOptions(program.command('bg-deploy [manifest]'))
    .description(
      "blue-green deploy (SAP's cf bg-deploy): new version beside the live one, on temporary routes, paused until resume or abort",
    )
    .option('-i, --id <id>', 'the deployment to act on')
    .option('-a, --action <action>', 'resume | abort | monitor | cleanup')
    .option('--no-confirm', 'resume at once instead of pausing')
    .option('--steps <list>', "gradual resume: the new version's share at each step, e.g. 10,50,100")
    .option('--interval <duration>', 'time per gradual step, e.g. 30s', '30s')
    .option(
      '--max-error-rate <rate>',
      'abort by itself above this 5xx rate of the new version, e.g. 5% or 0.05',
    )
    .option('--max-p99 <duration>', 'abort by itself above this p99 latency of the new version, e.g. 500ms')
    .option(
      '--sticky <how>',
      'gradual resume: keep each user on one version (cookie:NAME, header:NAME, query:NAME, ip, path): a step only moves users onto the new one',
    )
    .option(
      '--default-domain <domain>',
      "an MTA's ${default-domain}, the domain of its modules' default routes (default: localhost)",
    )
    .action(async (file: string | undefined, o: BgFlags) => {
      const client = admin(o);
      const gradual = {
        ...(o.steps
          ? { steps: o.steps.split(',').map((x) => Number(x.trim())), interval_ms: duration(o.interval, 's') }
          : {}),
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
    .action(async (o: ClientFlags) => {
      process.stdout.write(formatDeployments(await admin(o).get('/deployments')));
    });
}
