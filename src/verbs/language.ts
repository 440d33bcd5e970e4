/**
 * The operator's command-line language, shared by the CLI and the UI's `:` line: the verbs (their
 * usage and one-line summary, for help, hints and completion) and the parser from words to a core
 * Command. It imports only core, so both surfaces read it and neither imports the other; what
 * each does with the command is its own (the UI dispatches it to its store, the CLI posts it to a
 * running instance's `POST /commands`).
 */
import { parseArgs } from 'node:util';
import { kfRoute, routeText } from '../core/apps.js';
import type { Command } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';
import { stickyFields } from '../core/sticky.js';

export type Verb = Command | { readonly op: 'undo' };

export interface VerbHelp {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
}

export const VERBS: readonly VerbHelp[] = [
  {
    name: 'split',
    usage: 'split SERVICE UPSTREAM=WEIGHT [UPSTREAM=WEIGHT…] [--sticky HOW] [--force]',
    summary:
      'set the weighted split of a service over upstreams (--sticky cookie:NAME|header:NAME|query:NAME|ip|path: each user keeps its upstream; none: off; --force: even if nothing would take its traffic)',
  },
  {
    name: 'switch',
    usage: 'switch SERVICE UPSTREAM [--force]',
    summary: "send all of a service's traffic to one upstream (--force: even one with nothing to send to)",
  },
  { name: 'weight', usage: 'weight UPSTREAM HOST:PORT WEIGHT', summary: "set a target's weight (0..65535)" },
  {
    name: 'add-target',
    usage: 'add-target UPSTREAM HOST:PORT [WEIGHT]',
    summary: 'add a target to an upstream (weight 100 by default)',
  },
  {
    name: 'remove-target',
    usage: 'remove-target UPSTREAM HOST:PORT',
    summary: 'remove a target from an upstream',
  },
  { name: 'undo', usage: 'undo', summary: 'put back the state from before the last change' },
  {
    name: 'push',
    usage:
      'push APP (--route HOST.DOMAIN[/PATH] | --no-route) (--command CMD [--instances N] [--env K=V…] [--health-path P] | --target HOST:PORT…)',
    summary: 'create an app, or replace it rolling (Kf)',
  },
  {
    name: 'map-route',
    usage: 'map-route APP DOMAIN --hostname H [--path P] [--weight N]',
    summary: 'map an app to a route with a weight, or update its weight (Kf; weight 1 by default)',
  },
  {
    name: 'unmap-route',
    usage: 'unmap-route APP DOMAIN --hostname H [--path P]',
    summary: 'take an app off a route (Kf)',
  },
  { name: 'start', usage: 'start APP', summary: 'start an app: its instances take traffic again' },
  {
    name: 'stop',
    usage: 'stop APP',
    summary: 'stop an app: it takes no traffic, its routes serve their other apps',
  },
  { name: 'restart', usage: 'restart APP', summary: 'replace all instances of an app, rolling' },
  { name: 'delete', usage: 'delete APP', summary: 'delete an app, its route mappings and its processes' },
];

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/**
 * `util.parseArgs`, strict, with one kindness: `--weight -1` reaches the validator as a value
 * (so it is refused for its range) instead of being taken for an unknown option.
 */
function flags<T extends FlagSpec>(name: string, args: readonly string[], spec: T) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const next = args[i + 1];
    const key = a.startsWith('--') ? a.slice(2) : undefined;
    if (key && spec[key]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else joined.push(a);
  }
  try {
    return parseArgs({ args: joined, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    const v = VERBS.find((x) => x.name === name);
    throw new SwitchyardError(
      'invalid',
      `${(e as Error).message.split('\n')[0]}\nusage: ${v?.usage ?? name}`,
    );
  }
}

function one(name: string, positionals: readonly string[], count: number): string[] {
  if (positionals.length > count && count > 0) {
    const v = VERBS.find((x) => x.name === name);
    const hint =
      name === 'push' ? ' (a flag takes one value: repeat it for more, --target A --target B)' : '';
    throw new SwitchyardError(
      'invalid',
      `${name}: unexpected '${positionals[count]}'${hint}${v ? `\nusage: ${v.usage}` : ''}`,
    );
  }
  if (positionals.length !== count) usage(name);
  return [...positionals];
}

export interface VerbContext {
  /** The directory `push --command` runs in (the CLI's own). */
  readonly cwd?: string;
}

function usage(name: string): never {
  const v = VERBS.find((x) => x.name === name);
  throw new SwitchyardError(
    'invalid',
    v ? `usage: ${v.usage}` : `unknown command '${name}'; one of: ${VERBS.map((x) => x.name).join(', ')}`,
  );
}

/** Splits a command line like a shell does for words and quotes (no expansion). */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let any = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (quote) throw new SwitchyardError('invalid', `unterminated ${quote} quote`);
  if (any || cur) out.push(cur);
  return out;
}

function weightArg(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^\d+$/.test(raw))
    throw new SwitchyardError(
      'invalid',
      `${name}: expected a whole number 0..65535, got ${raw === undefined ? 'nothing' : `'${raw}'`}`,
    );
  const n = Number(raw);
  if (n > 65535)
    throw new SwitchyardError('invalid', `${name}: value should be between 0 and 65535, got ${raw}`);
  return n;
}

/** argv (without the program name) → a Verb, or a SwitchyardError with the usage. */
export function parseVerb(argv: readonly string[], ctx: VerbContext = {}): Verb {
  const [name, ...args] = argv;
  switch (name) {
    case 'split': {
      const force = args.includes('--force');
      let sticky: string | undefined;
      const rest: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as string;
        if (a === '--force') continue;
        if (a === '--sticky' || a.startsWith('--sticky=')) {
          sticky = a === '--sticky' ? args[++i] : a.slice('--sticky='.length);
          if (sticky === undefined || sticky === '')
            throw new SwitchyardError(
              'invalid',
              `--sticky needs a value: cookie:NAME, header:NAME, query:NAME, ip, path or none\nusage: ${VERBS[0]!.usage}`,
            );
        } else if (a.startsWith('--'))
          throw new SwitchyardError('invalid', `split: unknown option '${a}'\nusage: ${VERBS[0]!.usage}`);
        else rest.push(a);
      }
      const [service, ...pairs] = rest;
      if (!service || pairs.length === 0) usage('split');
      const split = pairs.map((p) => {
        const m = /^([^=]+)=(.*)$/.exec(p);
        if (!m) usage('split');
        return { name: m[1] as string, weight: weightArg(m[2], `weight of ${m[1]}`) };
      });
      return {
        op: 'service.split',
        service,
        split,
        ...(sticky !== undefined ? { hashing: stickyFields(sticky) } : {}),
        ...(force ? { force } : {}),
      };
    }
    case 'switch': {
      const force = args.includes('--force');
      const [service, upstream, ...rest] = args.filter((a) => a !== '--force');
      if (!service || !upstream || rest.length) usage('switch');
      return { op: 'service.switch', service, upstream, ...(force ? { force } : {}) };
    }
    case 'weight': {
      const [upstream, target, w, ...rest] = args;
      if (!upstream || !target || rest.length) usage('weight');
      return { op: 'target.update', upstream, target, fields: { weight: weightArg(w, 'weight') } };
    }
    case 'add-target': {
      const [upstream, target, w, ...rest] = args;
      if (!upstream || !target || rest.length) usage('add-target');
      return {
        op: 'target.create',
        upstream,
        fields: { target, weight: w === undefined ? 100 : weightArg(w, 'weight') },
      };
    }
    case 'remove-target': {
      const [upstream, target, ...rest] = args;
      if (!upstream || !target || rest.length) usage('remove-target');
      return { op: 'target.delete', upstream, target };
    }
    case 'undo':
      if (args.length) usage('undo');
      return { op: 'undo' };
    case 'push': {
      const { values: v, positionals } = flags('push', args, {
        route: { type: 'string' },
        'no-route': { type: 'boolean' },
        command: { type: 'string' },
        instances: { type: 'string' },
        target: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        'health-path': { type: 'string' },
      });
      const [app] = one('push', positionals, 1);
      if (v.route === undefined && !v['no-route'])
        throw new SwitchyardError('invalid', `push ${app}: give --route HOST.DOMAIN[/PATH] or --no-route`);
      const env: Record<string, string> = {};
      for (const kv of v.env ?? []) {
        const m = /^([^=]+)=(.*)$/.exec(kv);
        if (!m) throw new SwitchyardError('invalid', `--env ${kv}: expected KEY=VALUE`);
        env[m[1] as string] = m[2] as string;
      }
      return {
        op: 'app.push',
        fields: {
          name: app,
          ...(v.command !== undefined ? { command: v.command, cwd: ctx.cwd ?? null } : {}),
          ...(v.target ? { targets: v.target } : {}),
          ...(v.instances !== undefined ? { instances: v.instances } : {}),
          ...(v['health-path'] !== undefined ? { health_path: v['health-path'] } : {}),
          ...(Object.keys(env).length ? { env } : {}),
          ...(v.route !== undefined ? { route: v.route } : {}),
          ...(v['no-route'] ? { no_route: true } : {}),
        },
      };
    }
    case 'map-route':
    case 'unmap-route': {
      const { values: v, positionals } = flags(name, args, {
        hostname: { type: 'string' },
        path: { type: 'string' },
        ...(name === 'map-route' ? { weight: { type: 'string' } } : {}),
      });
      const [app, domain] = one(name, positionals, 2) as [string, string];
      const route = routeText(
        kfRoute(domain, v.hostname as string | undefined, v.path as string | undefined),
      );
      if (name === 'unmap-route') return { op: 'app.unmap-route', app, route };
      return {
        op: 'app.map-route',
        app,
        route,
        ...((v as { weight?: string }).weight !== undefined
          ? { weight: (v as { weight?: string }).weight }
          : {}),
      };
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'delete': {
      const { positionals } = flags(name, args, {});
      const [app] = one(name, positionals, 1) as [string];
      return { op: `app.${name}`, app };
    }
    case undefined:
      throw new SwitchyardError('invalid', `type a command: ${VERBS.map((x) => x.name).join(', ')}`);
    default:
      return usage(name);
  }
}

export function parseCommandLine(line: string): Verb {
  return parseVerb(splitArgs(line.trim().replace(/^:/, '')));
}
