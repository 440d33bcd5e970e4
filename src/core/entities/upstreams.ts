/** The commands over Kong's upstreams and their targets (create, update, delete, the operator's health mark). */
import { SwitchyardError } from '../errors.js';
import {
  serviceLabel,
  type Context,
  type ManualHealth,
  type State,
  type Target,
  type Upstream,
} from '../model.js';
import {
  checkHashing,
  hashingOf,
  targetSchema,
  upstreamSchema,
  type Algorithm,
  type Hashing,
} from '../schema.js';
import {
  check,
  ensureUniqueId,
  findTarget,
  findUpstream,
  normalizeTarget,
  replaceIn,
  type Fields,
  type Outcome,
} from './common.js';

/** A target's fields as either schema gives them: POST …/targets, or nested in an upstream. */
interface TargetFields {
  readonly target: string;
  readonly weight: number;
  readonly id?: string;
  readonly created_at?: number;
  readonly tags?: string[] | null;
  readonly manual_health?: ManualHealth | null;
}

function makeTarget(
  state: State,
  fields: TargetFields,
  ctx: Context,
  existing: readonly Target[],
  upstreamName: string,
): Target {
  const target = normalizeTarget(fields.target);
  if (existing.some((t) => t.target === target)) {
    throw new SwitchyardError(
      'unique constraint violation',
      `target ${target} already exists in upstream ${upstreamName}`,
      { target },
    );
  }
  const id = fields.id ?? ctx.newId();
  if (fields.id) ensureUniqueId(state, id);
  return {
    id,
    target,
    weight: fields.weight,
    created_at: fields.created_at ?? ctx.now,
    tags: fields.tags ?? null,
    ...(fields.manual_health ? { manual_health: fields.manual_health } : {}),
  };
}

export function createUpstream(state: State, input: Fields, ctx: Context): Outcome {
  const f = check(upstreamSchema, input, 'create');
  const name = f.name;
  if (state.upstreams.some((u) => u.name === name)) throw SwitchyardError.unique('upstream', 'name', name);
  const id = f.id ?? ctx.newId();
  if (f.id) ensureUniqueId(state, id);
  const targets: Target[] = [];
  for (const t of f.targets ?? []) targets.push(makeTarget(state, t, ctx, targets, name));
  const u: Upstream = {
    id,
    name,
    ...upstreamHashing(f, input, undefined),
    slots: f.slots,
    host_header: f.host_header,
    // A filled record: every field is there, with Kong's defaults (the schema's shape is the model's).
    healthchecks: f.healthchecks,
    targets,
    created_at: f.created_at ?? ctx.now,
    updated_at: f.updated_at ?? ctx.now,
    tags: f.tags ?? null,
  };
  return {
    state: { ...state, upstreams: [...state.upstreams, u] },
    entity: u,
    summary: `upstream ${name} created`,
  };
}

export function updateUpstream(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const u = findUpstream(state, key);
  // Kong merges a PATCH of nested `healthchecks` into what is there.
  const merged = isRecord(input.healthchecks)
    ? { ...input, healthchecks: deepMerge(u.healthchecks, input.healthchecks) }
    : input;
  const f = check(upstreamSchema, merged, 'update', ['id', 'created_at', 'updated_at', 'targets']);
  if ('targets' in input)
    throw SwitchyardError.schema({ targets: 'targets are changed through /upstreams/{upstream}/targets' });
  const name = f.name ?? u.name;
  if (name !== u.name && state.upstreams.some((x) => x.name === name))
    throw SwitchyardError.unique('upstream', 'name', name);
  const next: Upstream = { ...u, ...f, ...upstreamHashing(f, input, u), name, updated_at: ctx.now };
  let services = state.services;
  if (name !== u.name) {
    // A rename carries every service that points at the upstream along with it.
    services = services.map((s) =>
      s.host === u.name || s.upstreams.some((e) => e.name === u.name)
        ? {
            ...s,
            host: s.host === u.name ? name : s.host,
            upstreams: s.upstreams.map((e) => (e.name === u.name ? { ...e, name } : e)),
          }
        : s,
    );
  }
  return {
    state: { ...state, services, upstreams: replaceIn(state.upstreams, u, next) },
    entity: next,
    summary: `upstream ${name} updated`,
  };
}

/**
 * An upstream's algorithm and hashing fields after Kong's shorthands (upstreams.lua
 * `shorthand_fields`, applied as kong/db/schema/init.lua does, in order, each winning over the
 * plain field): `algorithm` least-connections or latency clears hash_on; then a hash_on given
 * (or so cleared) sets the algorithm: `none` is round-robin, anything else consistent-hashing
 * (a cleared one leaves it). Then Kong's entity checks, naming the field.
 */
function upstreamHashing(
  f: Partial<Hashing> & { algorithm?: Algorithm },
  input: Fields,
  old: Upstream | undefined,
): Hashing & { algorithm: Algorithm } {
  const given = (k: string) => isRecord(input) && input[k] !== undefined;
  let algorithm = f.algorithm ?? old?.algorithm ?? 'round-robin';
  let h = hashingOf({ ...(old ?? {}), ...f });
  const cleared = given('algorithm') && (algorithm === 'least-connections' || algorithm === 'latency');
  // (the fallback too: Kong would then refuse hash_fallback without hash_on)
  if (cleared) h = { ...h, hash_on: 'none', hash_fallback: 'none' };
  else if (given('hash_on')) algorithm = h.hash_on === 'none' ? 'round-robin' : 'consistent-hashing';
  const errors = checkHashing(h, algorithm);
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return { algorithm, ...h };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch))
    out[k] = isRecord(v) && isRecord(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}

export function deleteUpstream(state: State, key: string): Outcome {
  const u = findUpstream(state, key);
  // A weight-0 entry left by a switch is no reference: Kong lets the old colour go.
  const users = state.services.filter(
    (s) => s.host === u.name || s.upstreams.some((e) => e.name === u.name && e.weight > 0),
  );
  if (users.length) {
    throw new SwitchyardError(
      'foreign key violation',
      `an existing 'services' entity references this 'upstreams' entity (service ${users.map(serviceLabel).join(', ')}); change or delete it first`,
      { '@referenced_by': 'services' },
    );
  }
  const services = state.services.map((s) =>
    s.upstreams.some((e) => e.name === u.name)
      ? { ...s, upstreams: s.upstreams.filter((e) => e.name !== u.name) }
      : s,
  );
  return {
    state: { ...state, services, upstreams: state.upstreams.filter((x) => x !== u) },
    entity: u,
    summary: `upstream ${u.name} deleted`,
  };
}

export function createTarget(state: State, upstream: string, input: Fields, ctx: Context): Outcome {
  const u = findUpstream(state, upstream);
  const f = check(targetSchema, input, 'create', ['upstream']);
  const t = makeTarget(state, f, ctx, u.targets, u.name);
  const next: Upstream = { ...u, targets: [...u.targets, t], updated_at: ctx.now };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...t, upstream: { id: u.id } },
    summary: `target ${t.target} added to ${u.name} (weight ${t.weight})`,
  };
}

export function updateTarget(
  state: State,
  upstream: string,
  key: string,
  input: Fields,
  ctx: Context,
): Outcome {
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const f = check(targetSchema, input, 'update', ['id', 'created_at', 'upstream']);
  const target = f.target !== undefined ? normalizeTarget(f.target) : t.target;
  if (target !== t.target && u.targets.some((x) => x.target === target)) {
    throw new SwitchyardError(
      'unique constraint violation',
      `target ${target} already exists in upstream ${u.name}`,
      { target },
    );
  }
  const nt: Target = {
    ...t,
    ...(f.weight !== undefined ? { weight: f.weight } : {}),
    ...(f.tags !== undefined ? { tags: f.tags } : {}),
    target,
  };
  const next: Upstream = { ...u, targets: replaceIn(u.targets, t, nt), updated_at: ctx.now };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...nt, upstream: { id: u.id } },
    summary: `target ${nt.target} in ${u.name}: weight ${t.weight} → ${nt.weight}`,
  };
}

export function markTarget(state: State, upstream: string, key: string, verdict: unknown): Outcome {
  if (verdict !== 'healthy' && verdict !== 'unhealthy')
    throw SwitchyardError.schema({ verdict: 'expected one of: healthy, unhealthy' });
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const nt: Target = { ...t, manual_health: { verdict, seq: (t.manual_health?.seq ?? 0) + 1 } };
  const next: Upstream = { ...u, targets: replaceIn(u.targets, t, nt) };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...nt, upstream: { id: u.id } },
    summary: `target ${t.target} in ${u.name} marked ${verdict}${verdict === 'unhealthy' ? ': it takes no traffic until marked healthy or its health checks revive it' : ''}`,
  };
}

export function deleteTarget(state: State, upstream: string, key: string, ctx: Context): Outcome {
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const next: Upstream = { ...u, targets: u.targets.filter((x) => x !== t), updated_at: ctx.now };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: t,
    summary: `target ${t.target} removed from ${u.name}`,
  };
}
