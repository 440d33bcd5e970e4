/**
 * The `:` line: every verb of the CLI, as the UI does it. The traffic verbs are the CLI's own
 * (parsed by verbs/language.ts into core commands); the others become what the UI has for them: a
 * pane to show, a log to open, a deployment to act on, a file to load or write. Also the hint the
 * footer shows while typing, completion (tab) and nothing else: pure, so it is tested alone.
 */
import { parseArgs } from 'node:util';
import { SwitchyardError } from '../core/errors.js';
import type { State } from '../core/model.js';
import { parseCommandLine, splitArgs, VERBS, type Verb } from '../verbs/language.js';
import type { Pane } from './panes.js';

export type LineIntent =
  /** A CLI verb; `dangerous`: it deletes, so the UI asks first (as for the keymap's dangerous keys). */
  | { readonly kind: 'verb'; readonly verb: Verb; readonly dangerous?: true }
  | { readonly kind: 'pane'; readonly pane: Pane }
  | { readonly kind: 'log'; readonly app: string }
  | { readonly kind: 'deploy.start'; readonly file: string; readonly noConfirm: boolean }
  | { readonly kind: 'deploy.action'; readonly id: string; readonly action: 'resume' | 'abort' | 'cleanup' }
  | { readonly kind: 'config.apply' | 'config.check'; readonly file: string }
  | { readonly kind: 'config.export'; readonly file: string; readonly flavour: 'switchyard' | 'kong' }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' };

/** The verbs the UI adds to the CLI's traffic verbs, as the footer and errors show them. */
export const LINE_VERBS: readonly { readonly name: string; readonly usage: string }[] = [
  { name: 'apps', usage: 'apps (shows the apps pane)' },
  { name: 'routes', usage: 'routes (shows the routes pane)' },
  { name: 'deployments', usage: 'deployments (shows the deployments pane)' },
  { name: 'logs', usage: "logs APP (opens the app's log)" },
  { name: 'bg-deploy', usage: 'bg-deploy MANIFEST [--no-confirm] | bg-deploy -i ID -a resume|abort|cleanup' },
  { name: 'config', usage: 'config apply FILE | config check FILE | config export FILE [--format kong]' },
  { name: 'help', usage: 'help (every key)' },
  { name: 'quit', usage: 'quit' },
];

/** The CLI verbs that delete: the `:` line asks before it runs them. */
const DANGEROUS_VERBS: ReadonlySet<string> = new Set(['remove-target', 'delete']);

const ALL = [...VERBS.map((v) => v.name), ...LINE_VERBS.map((v) => v.name)];

/** The `:` line's verbs in a few words each, for the help overlay (where there is room). */
export const LINE_HELP: readonly (readonly [string, string])[] = [
  ['split', 'set a split: split S a=90 b=10'],
  ['switch', 'all to one upstream'],
  ['weight', "a target's weight"],
  ['add-target', 'add a target'],
  ['remove-target', 'remove a target (asks)'],
  ['undo', 'take back the last change'],
  ['push', 'create or replace an app'],
  ['map-route', 'an app on a route, weighted'],
  ['unmap-route', 'an app off a route'],
  ['start stop', 'start, stop an app'],
  ['restart', 'replace instances, rolling'],
  ['delete', 'delete an app (asks)'],
  ['apps routes', 'show that pane'],
  ['deployments', 'show that pane'],
  ['logs', "an app's log"],
  ['bg-deploy', 'deploy; -i ID -a resume…'],
  ['config', 'apply, check, export FILE'],
];

function usage(name: string): never {
  const v = LINE_VERBS.find((x) => x.name === name);
  throw new SwitchyardError('invalid', `usage: ${v?.usage ?? name}`);
}

function exactly(name: string, args: readonly string[], n: number): string[] {
  if (args.length !== n || args.some((a) => a.startsWith('-'))) usage(name);
  return [...args];
}

/** A line as typed (without the `:`) → what to do, or a SwitchyardError with the usage. */
export function parseLine(line: string): LineIntent {
  const text = line.trim().replace(/^:/, '').trim();
  const [name, ...args] = splitArgs(text);
  switch (name) {
    case 'q':
    case 'quit':
      return { kind: 'quit' };
    case '?':
    case 'help':
      return { kind: 'help' };
    case 'apps':
      exactly(name, args, 0);
      return { kind: 'pane', pane: 'apps' };
    case 'routes':
    case 'services':
      exactly('routes', args, 0);
      return { kind: 'pane', pane: 'services' };
    case 'upstreams':
    case 'targets':
      exactly(name, args, 0);
      return { kind: 'pane', pane: 'targets' };
    case 'deployments':
      exactly(name, args, 0);
      return { kind: 'pane', pane: 'deployments' };
    case 'logs': {
      const [app] = exactly(name, args, 1) as [string];
      return { kind: 'log', app };
    }
    case 'bg-deploy': {
      let parsed;
      try {
        parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { id: { type: 'string', short: 'i' }, action: { type: 'string', short: 'a' }, 'no-confirm': { type: 'boolean' } } });
      } catch (e) {
        throw new SwitchyardError('invalid', `${(e as Error).message.split('\n')[0]}\nusage: ${LINE_VERBS.find((v) => v.name === 'bg-deploy')?.usage}`);
      }
      const { values: v, positionals } = parsed;
      if (v.id !== undefined || v.action !== undefined) {
        if (!v.id || !v.action || positionals.length) usage(name);
        if (v.action !== 'resume' && v.action !== 'abort' && v.action !== 'cleanup') {
          throw new SwitchyardError('invalid', `bg-deploy -a ${v.action}: the UI takes resume, abort or cleanup (the deployments pane monitors)`);
        }
        return { kind: 'deploy.action', id: v.id, action: v.action };
      }
      if (positionals.length !== 1) usage(name);
      return { kind: 'deploy.start', file: positionals[0] as string, noConfirm: v['no-confirm'] === true };
    }
    case 'config': {
      const [sub, file, ...rest] = args;
      if (sub === 'apply' || sub === 'check') {
        if (!file || rest.length) usage(name);
        return { kind: sub === 'apply' ? 'config.apply' : 'config.check', file };
      }
      if (sub === 'export') {
        const format = rest[0] === '--format' ? rest[1] : undefined;
        if (!file || (rest.length && (rest.length !== 2 || (format !== 'kong' && format !== 'switchyard')))) usage(name);
        return { kind: 'config.export', file, flavour: format === 'kong' ? 'kong' : 'switchyard' };
      }
      return usage(name);
    }
    default:
      if (name !== undefined && !ALL.includes(name)) {
        const near = ALL.filter((v) => v.startsWith(name.slice(0, 2)));
        throw new SwitchyardError('invalid', `unknown command '${name}'${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : ''} (tab completes, ↑ recalls)`);
      }
      return { kind: 'verb', verb: parseCommandLine(text), ...(DANGEROUS_VERBS.has(name ?? '') ? { dangerous: true as const } : {}) };
  }
}

/** What the footer says while the line is typed: the verb's usage once it is known, else the verbs. */
export function lineHint(value: string): string {
  const words = value.trimStart().split(/\s+/);
  const first = words[0] ?? '';
  const known = [...VERBS, ...LINE_VERBS].find((v) => v.name === first);
  if (known && words.length > 1) return known.usage;
  const matching = ALL.filter((n) => n.startsWith(first));
  return `${(matching.length ? matching : ALL).join(' ')}  ·  tab completes, ↑ recalls`;
}

/** What a word can be, given the verb before it: names of things that exist. */
function candidates(verb: string, index: number, state: State): readonly string[] {
  const services = state.services.map((s) => s.name ?? s.id);
  const upstreams = state.upstreams.map((u) => u.name);
  const apps = state.apps.map((a) => a.name);
  switch (verb) {
    case 'split':
      return index === 1 ? services : upstreams.map((u) => `${u}=`);
    case 'switch':
      return index === 1 ? services : index === 2 ? upstreams : [];
    case 'weight':
    case 'remove-target':
      if (index === 1) return upstreams;
      return index === 2 ? state.upstreams.flatMap((u) => u.targets.map((t) => t.target)) : [];
    case 'add-target':
      return index === 1 ? upstreams : [];
    case 'start':
    case 'stop':
    case 'restart':
    case 'delete':
    case 'logs':
    case 'map-route':
    case 'unmap-route':
      return index === 1 ? apps : [];
    case 'config':
      return index === 1 ? ['apply', 'check', 'export'] : [];
    case 'bg-deploy':
      return index === 1 ? ['-i'] : index === 2 ? state.deployments.map((d) => d.id) : index === 3 ? ['-a'] : index === 4 ? ['resume', 'abort', 'cleanup'] : [];
    default:
      return [];
  }
}

function commonPrefix(list: readonly string[]): string {
  let p = list[0] ?? '';
  for (const s of list) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/**
 * Tab: the word being typed completed as far as it is unambiguous (a verb, then the names the
 * verb takes), and the choices left when there are several.
 */
export function completeLine(value: string, state: State): { readonly value: string; readonly options: readonly string[] } {
  const words = value.split(' ');
  const index = words.length - 1;
  const word = words[index] ?? '';
  const pool = index === 0 ? ALL : candidates(words[0] ?? '', index, state);
  const options = pool.filter((c) => c.startsWith(word));
  if (options.length === 0) return { value, options: [] };
  const done = options.length === 1 ? options[0] + ((options[0] as string).endsWith('=') ? '' : ' ') : commonPrefix(options);
  return { value: [...words.slice(0, -1), done].join(' '), options: options.length === 1 ? [] : options };
}
