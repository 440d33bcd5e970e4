/**
 * Kong's declarative format (services with nested routes, upstreams with nested targets), in and
 * out. Loading goes through the same commands as every other change, so a bad file is rejected
 * whole with the path of the bad field: `upstreams[1].targets[0].weight: value should be …`.
 */
import YAML from 'yaml';
import { putDeployment, restoreApp } from '../core/apps.js';
import { execute, type Command } from '../core/commands.js';
import { SwitchyardError, type FieldErrors } from '../core/errors.js';
import { emptyState, type Context, type Route, type Service, type State } from '../core/model.js';
import { isLegacyFormat, migrateLegacyRoute } from '../core/router.js';
import { HASHING_FIELDS, appSchema, deploymentSchema, healthchecksSchema, routeSchema, serviceSchema, targetSchema, upstreamSchema, validate, type Schema } from '../core/schema.js';

/** Where switchyard's own entities sit in a file (Kong's, and switchyard's extensions). */
const OURS = new Set(['services', 'routes', 'upstreams', 'targets', 'apps', 'deployments']);

/** Kong's `_format_version`s (kong/db/schema/others/declarative_config.lua). */
const VERSIONS = ['1.1', '2.1', '3.0'];

/**
 * Metadata of the file, Kong's (`_transform`, `_comment`, `_ignore`) and decK's (`_workspace`,
 * `_konnect`, `_plugin_configs`; `_info` is read below): tolerated when well-formed, and carry
 * nothing switchyard acts on (it has one workspace; plugin configs go with the plugins).
 */
const METADATA: Readonly<Record<string, (v: unknown) => string | undefined>> = {
  _transform: (v) => (typeof v === 'boolean' ? undefined : 'expected a boolean'),
  _comment: (v) => (typeof v === 'string' ? undefined : 'expected a string'),
  _ignore: (v) => (Array.isArray(v) ? undefined : 'expected an array'),
  _workspace: (v) => (typeof v === 'string' ? undefined : 'expected a string'),
  _konnect: (v) => (isRecord(v) ? undefined : 'expected a record'),
  _plugin_configs: (v) => (isRecord(v) ? undefined : 'expected a record'),
};

/**
 * Kong's entities that switchyard does not have: its core ones (kong/constants.lua), those of
 * its bundled plugins (their daos.lua) and decK's additions. Refused by name, or skipped on request.
 */
const UNSUPPORTED = new Set([
  'plugins',
  'consumers',
  'consumer_groups',
  'certificates',
  'ca_certificates',
  'snis',
  'vaults',
  'key_sets',
  'keys',
  'filter_chains',
  'workspaces',
  'parameters',
  'partials',
  'licenses',
  'rbac_roles',
  'custom_entities',
  'custom_plugins',
  'cloned_plugins',
  'service_packages',
  'keyauth_credentials',
  'keyauth_enc_credentials',
  'basicauth_credentials',
  'hmacauth_credentials',
  'jwt_secrets',
  'acls',
  'oauth2_credentials',
  'oauth2_authorization_codes',
  'oauth2_tokens',
  'mtls_auth_credentials',
  'acme_storage',
  'sessions',
  'degraphql_routes',
  'graphql_ratelimiting_cost_decorations',
]);

/** What Kong lets a service or a route carry nested that switchyard does not have. */
const NESTED_UNSUPPORTED = ['plugins', 'filter_chains'];

/** Entities whose fields are secrets (a key, a password): named by nothing but their place. */
const SECRET = /credentials$|^jwt_secrets$|^keys$|^oauth2_/;

/**
 * Plugins that decide who gets through. Skipping one leaves what it guarded open to anyone,
 * which the loader says route by route.
 */
export const ACCESS_PLUGINS: ReadonlySet<string> = new Set([
  'key-auth',
  'key-auth-enc',
  'basic-auth',
  'jwt',
  'jwe-decrypt',
  'oauth2',
  'oauth2-introspection',
  'hmac-auth',
  'ldap-auth',
  'ldap-auth-advanced',
  'openid-connect',
  'mtls-auth',
  'header-cert-auth',
  'saml',
  'vault-auth',
  'acl',
  'ip-restriction',
  'bot-detection',
  'opa',
  'request-termination',
]);

/** One entity of the file that switchyard does not have, left out with `skipUnsupported`. */
export interface SkippedEntity {
  /** Where it is in the file: `services[0].routes[1].plugins[0]`. */
  readonly path: string;
  /** Kong's name for its kind: `plugins`, `consumers`, `certificates`, … */
  readonly kind: string;
  /** A plugin's name, a consumer's username, …; null when it has none (or it is a secret). */
  readonly name: string | null;
  /** What it applied to: `route orders-api`, `service orders`, `consumer alice`, `every route`. */
  readonly on: string | null;
  /** A plugin that decides who gets through (key-auth, acl, ip-restriction, …). */
  readonly access: boolean;
  /** Kong's `enabled`: a disabled plugin did nothing, so skipping it changes nothing. */
  readonly enabled: boolean;
  /** Entities nested in it that went with it (a consumer's credentials and plugins). */
  readonly nested: number;
}

/** A route that lost plugins to the skipping: which ones, and those that guarded it. */
export interface SkippedOnRoute {
  readonly route: string;
  readonly service: string | null;
  /** The enabled plugins that applied to it (its own, its service's, the global ones). */
  readonly plugins: readonly string[];
  /** The access plugins among them: the route now lets anyone through. */
  readonly open: readonly string[];
}

export interface Loaded {
  readonly state: State;
  /** The file's `_format_version` ("3.0" when it has none). */
  readonly formatVersion: string;
  /** Every entity left out, in the file's order (empty unless `skipUnsupported`). */
  readonly skipped: readonly SkippedEntity[];
  /** Route by route, the plugins left out that applied to it. */
  readonly routes: readonly SkippedOnRoute[];
}

export interface LoadOptions {
  /** The file's name, first in every error: `kong.yml: 3 errors: …`. @default 'config' */
  readonly source?: string;
  /** Leave out what switchyard does not have (plugins, consumers, …) and load the rest. */
  readonly skipUnsupported?: boolean;
}

/** How to say, once, that unsupported entities can be left out. */
const SKIP_HINT = 'to load the rest without what switchyard does not have: --skip-unsupported (POST /config?skip_unsupported=true)';

/** Parses YAML (or JSON) text; syntax errors name the file, the line and the column. */
export function parseDocument(text: string, source = 'config'): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : '';
    // The parser's own message repeats the place: said once, first.
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '');
    throw new SwitchyardError('invalid', `${source}: malformed YAML${where}: ${what}${more}`);
  }
  return doc.toJS();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reference as Kong's file writes it: a name or id, or `{ name }` / `{ id }`. */
function refOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v)) return typeof v.name === 'string' ? v.name : typeof v.id === 'string' ? v.id : typeof v.username === 'string' ? v.username : undefined;
  return undefined;
}

function nameOf(kind: string, e: Record<string, unknown>): string | null {
  if (SECRET.test(kind)) return null;
  for (const k of kind === 'consumers' ? ['username', 'custom_id', 'id'] : kind === 'vaults' ? ['prefix', 'name', 'id'] : ['name', 'prefix', 'id']) if (typeof e[k] === 'string') return e[k] as string;
  return null;
}

/** How many records sit in the arrays nested in `e`, at any depth. */
function nestedCount(e: unknown): number {
  if (!isRecord(e)) return 0;
  let n = 0;
  for (const v of Object.values(e)) if (Array.isArray(v)) for (const x of v) if (isRecord(x)) n += 1 + nestedCount(x);
  return n;
}

/** The scope of a plugin, by what it names (or, nested, where it sits): keys are names, ids or `@path`. */
interface Scope {
  readonly route?: string;
  readonly service?: string;
  readonly consumer?: string;
  readonly consumerGroup?: string;
  readonly label?: string;
}

/** What a plugin names as its scope: a route, a service, a consumer (group), by name or id. */
function pluginScope(e: Record<string, unknown>): Scope {
  const scope: Record<string, string> = {};
  for (const [field, key] of [['route', 'route'], ['service', 'service'], ['consumer', 'consumer'], ['consumer_group', 'consumerGroup']] as const) {
    const ref = refOf(e[field]);
    if (ref !== undefined) scope[key] = ref;
  }
  return scope;
}

function scopeLabel(s: Scope): string {
  const parts: string[] = [];
  if (s.route !== undefined) parts.push(`route ${s.label ?? s.route}`);
  else if (s.service !== undefined) parts.push(`service ${s.label ?? s.service}`);
  if (s.consumer !== undefined) parts.push(`${parts.length ? 'for ' : ''}consumer ${s.consumer}`);
  if (s.consumerGroup !== undefined) parts.push(`${parts.length ? 'for ' : ''}consumer group ${s.consumerGroup}`);
  return parts.length ? parts.join(' ') : 'every route';
}

/** A route (or service) of the file as plugins may name it: its name, its id, its place. */
interface Known {
  readonly path: string;
  readonly label: string;
  readonly keys: ReadonlySet<string>;
}

function known(path: string, e: Record<string, unknown>): Known {
  const keys = new Set([`@${path}`]);
  for (const k of ['name', 'id']) if (typeof e[k] === 'string') keys.add(e[k] as string);
  return { path, label: typeof e.name === 'string' ? e.name : path, keys };
}

/**
 * Reads a declarative document into a State, all or nothing: every entity is checked (past the
 * ones that fail, and what depends on them is checked on its own), and every error found is
 * thrown at once, each with its path. Kong's entities that switchyard does not have are errors
 * too, named one by one, unless `skipUnsupported`: then they are left out and listed.
 */
export function fromDeclarative(raw: unknown, ctx: Context, opts: LoadOptions = {}): Loaded {
  const source = opts.source ?? 'config';
  if (!isRecord(raw)) throw SwitchyardError.document(source, { '@entity': 'expected a mapping with services, routes and upstreams' });
  const doc = raw;
  const errors: FieldErrors = {};
  const fail = (fields: FieldErrors) => Object.assign(errors, fields);
  const skipped: (SkippedEntity & { scope?: Scope })[] = [];
  let refused = 0;

  const unsupported = (kind: string, e: Record<string, unknown>, path: string, scope?: Scope) => {
    const name = nameOf(kind, e);
    const enabled = e.enabled !== false;
    const on = kind === 'plugins' && scope ? scopeLabel(scope) : null;
    if (!opts.skipUnsupported) {
      const what = [name, on ? `on ${on}` : null].filter(Boolean).join(' ');
      fail({ [path]: `${what ? `${what}: ` : ''}switchyard has no ${kind.replace(/_/g, ' ')}` });
      refused++;
      return;
    }
    skipped.push({ path, kind, name, on, access: kind === 'plugins' && name !== null && ACCESS_PLUGINS.has(name), enabled, nested: nestedCount(e), scope });
  };

  /** The records of a list, each with its path; what is not a list or a record is an error. */
  const list = (owner: Record<string, unknown>, key: string, path: string): [Record<string, unknown>, string][] => {
    const v = owner[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      fail({ [path]: 'expected an array' });
      return [];
    }
    const out: [Record<string, unknown>, string][] = [];
    v.forEach((x, i) => {
      if (isRecord(x)) out.push([x, `${path}[${i}]`]);
      else fail({ [`${path}[${i}]`]: 'expected a record' });
    });
    return out;
  };

  // Kong's metadata, and decK's `_info`: its `defaults` fill each entity's missing fields and its
  // `select_tags` are added to every entity's tags, as `deck gateway sync` does.
  const defaults: Record<string, Record<string, unknown>> = {};
  let selectTags: string[] = [];
  let version = '3.0';
  for (const [key, v] of Object.entries(doc)) {
    if (key === '_format_version') {
      const given = typeof v === 'number' ? (v === 3 ? '3.0' : String(v)) : v;
      if (typeof given === 'string' && VERSIONS.includes(given)) version = given;
      else fail({ _format_version: `unsupported version ${JSON.stringify(v)}; expected one of "1.1", "2.1", "3.0"${v === '3' ? ' (write "3.0")' : ''}` });
    } else if (key === '_info') {
      if (!isRecord(v)) fail({ _info: 'expected a record' });
      else {
        if (v.select_tags !== undefined && !(Array.isArray(v.select_tags) && v.select_tags.every((t) => typeof t === 'string'))) fail({ '_info.select_tags': 'expected an array of strings' });
        else selectTags = (v.select_tags as string[] | undefined) ?? [];
        if (v.defaults !== undefined && v.defaults !== null) {
          if (!isRecord(v.defaults)) fail({ '_info.defaults': 'expected a record' });
          else
            for (const [kind, d] of Object.entries(v.defaults)) {
              if (isRecord(d)) defaults[kind] = d;
              else if (d !== null) fail({ [`_info.defaults.${kind}`]: 'expected a record' });
            }
        }
      }
    } else if (key in METADATA) {
      const bad = METADATA[key]!(v);
      if (bad) fail({ [key]: bad });
    } else if (UNSUPPORTED.has(key)) {
      for (const [e, path] of list(doc, key, key)) {
        unsupported(key, e, path, key === 'plugins' ? pluginScope(e) : undefined);
      }
    } else if (!OURS.has(key)) {
      fail({ [key]: 'unknown field (switchyard reads services, routes, upstreams and targets, and knows the rest of Kong\'s entities by name)' });
    }
  }

  /** The entity without Kong's annotations and what it nests that switchyard lacks; decK's defaults and tags applied. */
  const clean = (kind: 'service' | 'route' | 'upstream' | 'target', e: Record<string, unknown>, path: string, scope?: Scope): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const d = defaults[kind] ?? {};
    for (const [k, v] of Object.entries(d)) {
      // A service given by url takes its address from it, not from the defaults.
      if (kind === 'service' && e.url !== undefined && ['host', 'port', 'path', 'protocol'].includes(k)) continue;
      out[k] = v;
    }
    for (const [k, v] of Object.entries(e)) {
      if (k === '_comment' || k === '_ignore') {
        const bad = METADATA[k]!(v);
        if (bad) fail({ [`${path}.${k}`]: bad });
      } else if (scope && NESTED_UNSUPPORTED.includes(k)) {
        // A nested plugin may name more of its scope itself (decK: `route:` on a service's plugin).
        for (const [x, p] of list(e, k, `${path}.${k}`)) unsupported(k, x, p, { ...pluginScope(x), ...scope, ...(scope.route === undefined && refOf(x.route) !== undefined ? { route: refOf(x.route), label: undefined } : {}) });
      } else out[k] = v;
    }
    if (selectTags.length) {
      const tags = Array.isArray(out.tags) ? (out.tags as unknown[]) : [];
      out.tags = [...tags, ...selectTags.filter((t) => !tags.includes(t))];
    }
    return out;
  };

  let state: State = emptyState;
  /** Runs one change; a failure is recorded with its path, and says so. */
  const attempt = (path: string, fn: () => State): boolean => {
    try {
      state = fn();
      return true;
    } catch (e) {
      fail(fieldErrorsOf(e, path));
      return false;
    }
  };
  const run = (path: string, cmd: Command) => attempt(path, () => execute(state, cmd, ctx).state);

  // Names of what failed: what refers to them is checked on its own, not reported again as missing.
  const failedUpstreams = new Set<string>();
  for (const [u, path] of list(doc, 'upstreams', 'upstreams')) {
    const fields = clean('upstream', u, path);
    if (Array.isArray(fields.targets)) fields.targets = fields.targets.map((t, j) => (isRecord(t) ? clean('target', t, `${path}.targets[${j}]`) : t));
    if (!run(path, { op: 'upstream.create', fields }) && typeof u.name === 'string') failedUpstreams.add(u.name);
  }
  for (const [t, path] of list(doc, 'targets', 'targets')) {
    const { upstream, ...fields } = clean('target', t, path);
    const name = refOf(upstream);
    if (name === undefined) fail({ [`${path}.upstream`]: 'required field missing' });
    else if (failedUpstreams.has(name)) fail(prefixFields(validate(targetSchema, fields, 'create').errors, path));
    else run(path, { op: 'target.create', upstream: name, fields });
  }
  // switchyard's extension: apps (Kf), each over the upstream of its name.
  for (const [a, path] of list(doc, 'apps', 'apps')) attempt(path, () => restoreApp(state, a, ctx).state);

  // Kong 3 migrates a "1.1"/"2.1" file's route paths (regexes without `~`) as it loads them.
  const legacy = isLegacyFormat(version);
  const migrated = <T extends Record<string, unknown>>(r: T): T => (legacy ? migrateLegacyRoute(r) : r);
  const services: Known[] = [];
  const routes: { known: Known; service: Known | null }[] = [];
  const failedServices = new Set<string>();
  for (const [s, path] of list(doc, 'services', 'services')) {
    const k = known(path, s);
    const { routes: nested, ...fields } = clean('service', s, path, { service: `@${path}`, label: k.label });
    const ok = run(path, { op: 'service.create', fields });
    const created = ok ? state.services[state.services.length - 1]! : undefined;
    if (created) services.push(k);
    else for (const key of k.keys) failedServices.add(key);
    for (const [r, rpath] of list({ routes: nested }, 'routes', `${path}.routes`)) {
      const rk = known(rpath, r);
      const { service: _service, ...rf } = migrated(clean('route', r, rpath, { route: `@${rpath}`, label: rk.label }));
      // The routes of a service that failed are still checked, on their own.
      if (run(rpath, { op: 'route.create', ...(created ? { service: created.id } : {}), fields: rf }) && created) routes.push({ known: rk, service: k });
    }
  }
  for (const [r, path] of list(doc, 'routes', 'routes')) {
    const rk = known(path, r);
    const { service, ...rf } = migrated(clean('route', r, path, { route: `@${path}`, label: rk.label }));
    const ref = refOf(service);
    const orphan = ref !== undefined && failedServices.has(ref);
    if (run(path, { op: 'route.create', fields: { ...rf, ...(service !== undefined && !orphan ? { service: isRecord(service) ? service : { name: service } } : {}) } })) {
      routes.push({ known: rk, service: services.find((x) => ref !== undefined && x.keys.has(ref)) ?? null });
    }
  }
  // switchyard's extension: blue-green deployments (SAP), records known by their id.
  for (const [d, path] of list(doc, 'deployments', 'deployments')) attempt(path, () => putDeployment(state, d, { ...ctx, now: (d.updated_at as number | undefined) ?? ctx.now }).state);

  // A service that splits over an upstream that failed: that upstream's own error says it.
  for (const [k, v] of Object.entries(errors)) if ([...failedUpstreams].some((n) => v === `no upstream named '${n}'`)) delete errors[k];
  if (Object.keys(errors).length) {
    throw SwitchyardError.document(source, errors, refused ? SKIP_HINT : undefined);
  }
  return { state, formatVersion: version, skipped: skipped.map(({ scope: _s, ...e }) => e), routes: onRoutes(skipped, routes) };
}

/** Which skipped plugins applied to which route, as Kong picks a plugin's scope. */
function onRoutes(skipped: readonly (SkippedEntity & { scope?: Scope })[], routes: readonly { known: Known; service: Known | null }[]): SkippedOnRoute[] {
  const plugins = skipped.filter((e) => e.kind === 'plugins' && e.enabled && e.scope && e.scope.consumer === undefined && e.scope.consumerGroup === undefined);
  const out: SkippedOnRoute[] = [];
  for (const r of routes) {
    const applies = plugins.filter((p) => {
      const s = p.scope!;
      if (s.route !== undefined && !r.known.keys.has(s.route)) return false;
      if (s.service !== undefined && !r.service?.keys.has(s.service)) return false;
      return true;
    });
    if (!applies.length) continue;
    const names = applies.map((p) => p.name ?? p.path);
    out.push({
      route: r.known.label,
      service: r.service?.label ?? null,
      plugins: [...new Set(names)],
      open: [...new Set(applies.filter((p) => p.access).map((p) => p.name!))],
    });
  }
  return out;
}

function prefixFields(fields: FieldErrors, path: string): FieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === '@entity' ? path : `${path}.${k}`, v]));
}

/** A command's failure as field errors under the entity's path. */
function fieldErrorsOf(e: unknown, path: string): FieldErrors {
  if (!(e instanceof SwitchyardError)) throw e;
  if (e.code === 'schema violation') return prefixFields(e.fields, path);
  const keys = Object.keys(e.fields);
  const at = keys.length === 1 && !keys[0]!.startsWith('@') ? `${path}.${keys[0]}` : path;
  return { [at]: e.message };
}

/**
 * What was left out, as lines for a person: route by route the plugins that no longer run, the
 * rest entity by entity, and a warning for each route an access plugin guarded (now open).
 */
export function describeSkipped(loaded: Pick<Loaded, 'skipped' | 'routes'>): { lines: string[]; warnings: string[] } {
  if (!loaded.skipped.length) return { lines: [], warnings: [] };
  const n = loaded.skipped.length;
  const lines = [`skipped ${n} ${n === 1 ? 'entity' : 'entities'} switchyard does not have:`];
  for (const r of loaded.routes) lines.push(`  route ${r.route}${r.service ? ` (service ${r.service})` : ''}: ${r.plugins.join(', ')}`);
  const onARoute = new Set(loaded.routes.flatMap((r) => r.plugins));
  for (const e of loaded.skipped) {
    if (e.kind === 'plugins' && e.enabled && e.name !== null && onARoute.has(e.name) && e.on !== null && !e.on.startsWith('consumer')) continue;
    const what = [e.name, e.on ? `on ${e.on}` : null, e.enabled ? null : 'disabled', e.nested ? `with ${e.nested} nested` : null].filter(Boolean).join(', ');
    lines.push(`  ${e.path}${what ? ` (${what})` : ''}`);
  }
  const warnings = loaded.routes
    .filter((r) => r.open.length)
    .map((r) => `route ${r.route}${r.service ? ` (service ${r.service})` : ''} is now OPEN: ${r.open.join(', ')} ${r.open.length === 1 ? 'was' : 'were'} skipped, so anyone gets through`);
  return { lines, warnings };
}

/** Reads a declarative file's text: YAML or JSON. */
export function readDeclarative(text: string, ctx: Context, opts: LoadOptions = {}): Loaded {
  return fromDeclarative(parseDocument(text, opts.source), ctx, opts);
}

/** The State of a declarative text, refusing what switchyard does not have. */
export function loadDeclarative(text: string, ctx: Context, source = 'config'): State {
  return readDeclarative(text, ctx, { source }).state;
}

/** Fields worth writing: set, and not the schema's default (an empty list is not null: it is written). */
function meaningful(schema: Schema, entity: object, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (skip.includes(k) || v === null || v === undefined) continue;
    const f = schema[k];
    if (f && 'default' in f && JSON.stringify(f.default) === JSON.stringify(v)) continue;
    out[k] = v;
  }
  return out;
}

const SKIP = ['id', 'created_at', 'updated_at'];

function exportRoute(r: Route): Record<string, unknown> {
  return meaningful(routeSchema, r, [...SKIP, 'service']);
}

/**
 * `switchyard` (the default) is Kong's declarative format plus switchyard's extension fields (a
 * service's weighted `upstreams`, `apps`); `kong` is what Kong itself accepts: without them, each
 * split service pointing at its heaviest upstream (Kong's `host`), which `notes` says.
 */
export type DeclarativeFlavour = 'switchyard' | 'kong';

export function toDeclarative(state: State, flavour: DeclarativeFlavour = 'switchyard', notes: string[] = []): Record<string, unknown> {
  const kong = flavour === 'kong';
  const byService = new Map<string, Route[]>();
  const loose: Route[] = [];
  for (const r of state.routes) {
    if (r.service) byService.set(r.service.id, [...(byService.get(r.service.id) ?? []), r]);
    else loose.push(r);
  }
  const service = (s: Service) => {
    // A service's hashing fields are switchyard's (Kong hashes in upstreams only).
    const { name, host, ...rest } = meaningful(serviceSchema, s, [...SKIP, 'url', 'upstreams', ...(kong ? HASHING_FIELDS : [])]);
    if (kong && s.hash_on !== 'none') notes.push(`service ${s.name ?? s.id}: Kong has no sticky split between upstreams; exported without hash_on ${s.hash_on}`);
    const out: Record<string, unknown> = { ...(name ? { name } : {}), host, ...rest };
    const live = s.upstreams.filter((e) => e.weight > 0);
    if (s.upstreams.length && !kong) out.upstreams = s.upstreams.map((e) => ({ name: e.name, weight: e.weight }));
    else if (live.length > 1) notes.push(`service ${s.name ?? s.id}: Kong has no weighted split between upstreams; exported with host ${s.host} (${live.map((e) => `${e.name} ${e.weight}`).join(', ')} in switchyard)`);
    const routes = byService.get(s.id);
    if (routes?.length) out.routes = routes.map(exportRoute);
    return out;
  };
  const doc: Record<string, unknown> = { _format_version: '3.0' };
  if (state.services.length) doc.services = state.services.map(service);
  if (loose.length) doc.routes = loose.map(exportRoute);
  if (state.upstreams.length) {
    const defaults = JSON.stringify(validate(healthchecksSchema, {}, 'create').value);
    doc.upstreams = state.upstreams.map((u) => ({
      ...meaningful(upstreamSchema, u, [...SKIP, 'targets', ...(JSON.stringify(u.healthchecks) === defaults ? ['healthchecks'] : [])]),
      targets: u.targets.map((t) => ({
        target: t.target,
        weight: t.weight,
        ...(t.tags !== null ? { tags: t.tags } : {}),
        // switchyard's extension; Kong keeps a manual health verdict in memory only.
        ...(t.manual_health && !kong ? { manual_health: t.manual_health } : {}),
      })),
    }));
  }
  if (state.apps.length && !kong) doc.apps = state.apps.map((a) => meaningful(appSchema, a, [...SKIP, 'generation']));
  else if (state.apps.length) notes.push(`${state.apps.length} app(s) left out: Kong has no apps; their upstreams are exported`);
  // A deployment is a record of what happened, known by its id: written whole, times included.
  if (state.deployments.length && !kong) doc.deployments = state.deployments.map((d) => meaningful(deploymentSchema, d, []));
  else if (state.deployments.length) notes.push(`${state.deployments.length} deployment(s) left out: Kong has no deployments`);
  return doc;
}

export function exportYaml(state: State, flavour: DeclarativeFlavour = 'switchyard', notes: string[] = []): string {
  return YAML.stringify(toDeclarative(state, flavour, notes), { lineWidth: 0 });
}
