/**
 * One module of a descriptor read as the app it runs as: its environment, its command (given,
 * or what `push` would find where its code is), its health check, its routes, and core's rules
 * for an app applied to the result, each problem filed under the module's path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appSchema, validate } from '../core/schema.js';
import { detectCommand } from '../apps/detect.js';
import type { PendingModule, ReadContext } from './context.js';
import { isObj, type Obj } from './descriptor.js';
import { moduleEnvironment } from './environment.js';
import { resolveAt, text } from './placeholders.js';
import { moduleRoutes } from './routes.js';

/** One module of a descriptor, as the app it runs as. */
export interface ManifestModule {
  /** The module's name in the descriptor (an MTA name: dots and underscores allowed). */
  readonly name: string;
  /** The app name it runs as, before its colour. */
  readonly app: string;
  readonly command: string | null;
  /** Where the command runs; null: the descriptor's directory. */
  readonly cwd: string | null;
  readonly targets: readonly string[] | null;
  readonly instances: number;
  readonly env: Readonly<Record<string, string>>;
  readonly health_path: string | null;
  readonly routes: readonly string[];
}

export function readModule(ctx: ReadContext, pm: PendingModule): ManifestModule {
  const { at, m, name, app, params, lookup } = pm;
  const { problems, notes, dir, noStart } = ctx;
  const env = moduleEnvironment(ctx, pm);
  const P = (k: string) =>
    k in params ? resolveAt(problems, `${at}.parameters.${k}`, params[k], lookup) : undefined;
  for (const [k, v] of Object.entries({
    ...(isObj(m.env) ? m.env : {}),
    ...((P('env') as Obj | undefined) ?? {}),
  }))
    env[k] = v;

  // The command: given, else what push would find where the module's code is.
  const targets = (m.targets ?? P('targets')) as string[] | undefined;
  let command = (m.command ?? P('command')) as string | undefined;
  let cwd: string | null = null;
  if (command === undefined && targets === undefined) {
    const found = findCode(dir, name, typeof m.path === 'string' ? m.path : undefined);
    if (found) {
      command = found.command;
      cwd = found.dir;
    } else {
      problems[`${at}.${m.path === undefined ? 'name' : 'path'}`] =
        `nothing to run for module '${name}': give parameters.command, or a Procfile ("web: …") or a package.json with a start script in ${codeDirs(dir, name, m.path).join(' or ')}`;
    }
  }
  if (typeof m.type === 'string') notes.add('module types not used locally (run as push does)', m.type);
  if (P('no-start') === true) noStart.push(name);

  // Health: CF's default checks the port; `http` checks the endpoint.
  const hcType = P('health-check-type');
  const endpoint = (m.health_path ?? m['health-check-http-endpoint'] ?? P('health-check-http-endpoint')) as
    string | undefined;
  const healthPath =
    hcType === 'port' || hcType === 'process' || hcType === 'none'
      ? null
      : (endpoint ?? (hcType === 'http' ? '/' : null));
  if (hcType === 'process' || hcType === 'none')
    notes.add('health-check-type process: switchyard checks that the port answers', name);

  const routes = moduleRoutes(ctx, pm, P, targets);

  // The app's own rules (instances, environment names, command, targets) from core, on the app it becomes.
  const fields: Obj = {
    name: `${app}-green`,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, text(v)])),
  };
  const instances = m.instances ?? P('instances');
  if (instances !== undefined)
    fields.instances =
      typeof instances === 'string' && /^\d+$/.test(instances) ? Number(instances) : instances;
  if (command !== undefined) fields.command = command;
  if (targets !== undefined) fields.targets = targets;
  if (healthPath !== null) fields.health_path = healthPath;
  const schema = {
    name: appSchema.name,
    command: appSchema.command,
    targets: appSchema.targets,
    instances: appSchema.instances,
    env: appSchema.env,
    health_path: appSchema.health_path,
  };
  const { value, errors } = validate(schema, fields, 'create');
  const where = (k: string) =>
    k === 'env' || k.startsWith('env.')
      ? `${at}.properties${k.slice(3)}`
      : k.startsWith('instances')
        ? `${at}.parameters.instances`
        : `${at}.${k}`;
  for (const [k, v] of Object.entries(errors)) problems[where(k)] = v;
  if (command && targets?.length) problems[`${at}.command`] = 'give either a command or targets, not both';
  return {
    name,
    app,
    command: command ?? null,
    cwd,
    targets: targets ?? null,
    instances: value.instances as number,
    env: value.env as Record<string, string>,
    health_path: (value.health_path as string | null) ?? null,
    routes,
  };
}

/** Where a module's code may be: its `path` (an archive's unpacked directory beside it), else a directory named after it. */
function codeDirs(dir: string, name: string, p: unknown): string[] {
  if (typeof p === 'string') {
    const abs = path.resolve(dir, p);
    return [...new Set([abs, abs.replace(/\.(zip|jar|war|mtar)$/i, '')])];
  }
  return [path.join(dir, name)];
}

function findCode(
  dir: string,
  name: string,
  p: string | undefined,
): { command: string; dir: string } | undefined {
  for (const d of codeDirs(dir, name, p)) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) continue;
    const found = detectCommand(d);
    if (found) return { command: found.command, dir: d };
  }
  return undefined;
}
