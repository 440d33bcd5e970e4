/**
 * The traffic verbs shared by the CLI and the UI's `:` command line. A verb is parsed into a core
 * Command (pure); the UI dispatches it to its store, the CLI sends the same change to a running
 * instance through the Kong-dialect admin API (`toAdminRequest`).
 */
import type { Command } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';

export type Verb = Command | { readonly op: 'undo' };

export interface VerbHelp {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
}

export const VERBS: readonly VerbHelp[] = [
  { name: 'split', usage: 'split SERVICE UPSTREAM=WEIGHT [UPSTREAM=WEIGHT…]', summary: 'set the weighted split of a service over upstreams' },
  { name: 'switch', usage: 'switch SERVICE UPSTREAM', summary: "send all of a service's traffic to one upstream (Kong's PATCH host)" },
  { name: 'weight', usage: 'weight UPSTREAM HOST:PORT WEIGHT', summary: "set a target's weight (0..65535)" },
  { name: 'add-target', usage: 'add-target UPSTREAM HOST:PORT [WEIGHT]', summary: 'add a target to an upstream (weight 100 by default)' },
  { name: 'remove-target', usage: 'remove-target UPSTREAM HOST:PORT', summary: 'remove a target from an upstream' },
  { name: 'undo', usage: 'undo', summary: 'put back the state from before the last change' },
];

function usage(name: string): never {
  const v = VERBS.find((x) => x.name === name);
  throw new SwitchyardError('invalid', v ? `usage: ${v.usage}` : `unknown command '${name}'; one of: ${VERBS.map((x) => x.name).join(', ')}`);
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
  if (raw === undefined || !/^\d+$/.test(raw)) throw new SwitchyardError('invalid', `${name}: expected a whole number 0..65535, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
  const n = Number(raw);
  if (n > 65535) throw new SwitchyardError('invalid', `${name}: value should be between 0 and 65535, got ${raw}`);
  return n;
}

/** argv (without the program name) → a Verb, or a SwitchyardError with the usage. */
export function parseVerb(argv: readonly string[]): Verb {
  const [name, ...args] = argv;
  switch (name) {
    case 'split': {
      const [service, ...pairs] = args;
      if (!service || pairs.length === 0) usage('split');
      const split = pairs.map((p) => {
        const m = /^([^=]+)=(.*)$/.exec(p);
        if (!m) usage('split');
        return { name: m[1] as string, weight: weightArg(m[2], `weight of ${m[1]}`) };
      });
      return { op: 'service.split', service, split };
    }
    case 'switch': {
      const [service, upstream, ...rest] = args;
      if (!service || !upstream || rest.length) usage('switch');
      return { op: 'service.update', service, fields: { host: upstream } };
    }
    case 'weight': {
      const [upstream, target, w, ...rest] = args;
      if (!upstream || !target || rest.length) usage('weight');
      return { op: 'target.update', upstream, target, fields: { weight: weightArg(w, 'weight') } };
    }
    case 'add-target': {
      const [upstream, target, w, ...rest] = args;
      if (!upstream || !target || rest.length) usage('add-target');
      return { op: 'target.create', upstream, fields: { target, weight: w === undefined ? 100 : weightArg(w, 'weight') } };
    }
    case 'remove-target': {
      const [upstream, target, ...rest] = args;
      if (!upstream || !target || rest.length) usage('remove-target');
      return { op: 'target.delete', upstream, target };
    }
    case 'undo':
      if (args.length) usage('undo');
      return { op: 'undo' };
    case undefined:
      throw new SwitchyardError('invalid', `type a command: ${VERBS.map((x) => x.name).join(', ')}`);
    default:
      return usage(name);
  }
}

export function parseCommandLine(line: string): Verb {
  return parseVerb(splitArgs(line.trim().replace(/^:/, '')));
}

export interface AdminRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

const seg = encodeURIComponent;

/** The Kong Admin API call that makes the same change on a running instance. */
export function toAdminRequest(v: Verb): AdminRequest {
  switch (v.op) {
    case 'service.split':
      return { method: 'PATCH', path: `/services/${seg(v.service)}`, body: { upstreams: v.split } };
    case 'service.update':
      return { method: 'PATCH', path: `/services/${seg(v.service)}`, body: v.fields };
    case 'target.update':
      return { method: 'PATCH', path: `/upstreams/${seg(v.upstream)}/targets/${seg(v.target)}`, body: v.fields };
    case 'target.create':
      return { method: 'POST', path: `/upstreams/${seg(v.upstream)}/targets`, body: v.fields };
    case 'target.delete':
      return { method: 'DELETE', path: `/upstreams/${seg(v.upstream)}/targets/${seg(v.target)}` };
    case 'undo':
      return { method: 'POST', path: '/undo' };
    default:
      throw new SwitchyardError('invalid', `no admin API call for ${v.op}`);
  }
}
