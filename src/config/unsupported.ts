/**
 * What a Kong file may carry beyond switchyard's entities: Kong's and decK's metadata (tolerated
 * when well-formed), Kong's entities switchyard does not have (refused by name, or skipped on
 * request), and what the skipping left out, route by route, as a plugin's scope decides.
 */

/**
 * Metadata of the file, Kong's (`_transform`, `_comment`, `_ignore`) and decK's (`_workspace`,
 * `_konnect`, `_plugin_configs`; `_info` the loader reads): tolerated when well-formed, and carry
 * nothing switchyard acts on (it has one workspace; plugin configs go with the plugins).
 */
export const METADATA: Readonly<Record<string, (v: unknown) => string | undefined>> = {
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
export const UNSUPPORTED = new Set([
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
export const NESTED_UNSUPPORTED = ['plugins', 'filter_chains'];

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

/** How to say, once, that unsupported entities can be left out. */
export const SKIP_HINT =
  'to load the rest without what switchyard does not have: --skip-unsupported (POST /config?skip_unsupported=true)';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reference as Kong's file writes it: a name or id, or `{ name }` / `{ id }`. */
export function refOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v))
    return typeof v.name === 'string'
      ? v.name
      : typeof v.id === 'string'
        ? v.id
        : typeof v.username === 'string'
          ? v.username
          : undefined;
  return undefined;
}

export function nameOf(kind: string, e: Record<string, unknown>): string | null {
  if (SECRET.test(kind)) return null;
  for (const k of kind === 'consumers'
    ? ['username', 'custom_id', 'id']
    : kind === 'vaults'
      ? ['prefix', 'name', 'id']
      : ['name', 'prefix', 'id'])
    if (typeof e[k] === 'string') return e[k] as string;
  return null;
}

/** How many records sit in the arrays nested in `e`, at any depth. */
export function nestedCount(e: unknown): number {
  if (!isRecord(e)) return 0;
  let n = 0;
  for (const v of Object.values(e))
    if (Array.isArray(v)) for (const x of v) if (isRecord(x)) n += 1 + nestedCount(x);
  return n;
}

/** The scope of a plugin, by what it names (or, nested, where it sits): keys are names, ids or `@path`. */
export interface Scope {
  readonly route?: string;
  readonly service?: string;
  readonly consumer?: string;
  readonly consumerGroup?: string;
  readonly label?: string;
}

/** What a plugin names as its scope: a route, a service, a consumer (group), by name or id. */
export function pluginScope(e: Record<string, unknown>): Scope {
  const scope: Record<string, string> = {};
  for (const [field, key] of [
    ['route', 'route'],
    ['service', 'service'],
    ['consumer', 'consumer'],
    ['consumer_group', 'consumerGroup'],
  ] as const) {
    const ref = refOf(e[field]);
    if (ref !== undefined) scope[key] = ref;
  }
  return scope;
}

export function scopeLabel(s: Scope): string {
  const parts: string[] = [];
  if (s.route !== undefined) parts.push(`route ${s.label ?? s.route}`);
  else if (s.service !== undefined) parts.push(`service ${s.label ?? s.service}`);
  if (s.consumer !== undefined) parts.push(`${parts.length ? 'for ' : ''}consumer ${s.consumer}`);
  if (s.consumerGroup !== undefined)
    parts.push(`${parts.length ? 'for ' : ''}consumer group ${s.consumerGroup}`);
  return parts.length ? parts.join(' ') : 'every route';
}

/** A route (or service) of the file as plugins may name it: its name, its id, its place. */
export interface Known {
  readonly path: string;
  readonly label: string;
  readonly keys: ReadonlySet<string>;
}

export function known(path: string, e: Record<string, unknown>): Known {
  const keys = new Set([`@${path}`]);
  for (const k of ['name', 'id']) if (typeof e[k] === 'string') keys.add(e[k] as string);
  return { path, label: typeof e.name === 'string' ? e.name : path, keys };
}

/** Which skipped plugins applied to which route, as Kong picks a plugin's scope. */
export function onRoutes(
  skipped: readonly (SkippedEntity & { scope?: Scope })[],
  routes: readonly { known: Known; service: Known | null }[],
): SkippedOnRoute[] {
  const plugins = skipped.filter(
    (e) =>
      e.kind === 'plugins' &&
      e.enabled &&
      e.scope &&
      e.scope.consumer === undefined &&
      e.scope.consumerGroup === undefined,
  );
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

/**
 * What was left out, as lines for a person: route by route the plugins that no longer run, the
 * rest entity by entity, and a warning for each route an access plugin guarded (now open).
 */
export function describeSkipped(loaded: {
  readonly skipped: readonly SkippedEntity[];
  readonly routes: readonly SkippedOnRoute[];
}): { lines: string[]; warnings: string[] } {
  if (!loaded.skipped.length) return { lines: [], warnings: [] };
  const n = loaded.skipped.length;
  const lines = [`skipped ${n} ${n === 1 ? 'entity' : 'entities'} switchyard does not have:`];
  for (const r of loaded.routes)
    lines.push(`  route ${r.route}${r.service ? ` (service ${r.service})` : ''}: ${r.plugins.join(', ')}`);
  const onARoute = new Set(loaded.routes.flatMap((r) => r.plugins));
  for (const e of loaded.skipped) {
    if (
      e.kind === 'plugins' &&
      e.enabled &&
      e.name !== null &&
      onARoute.has(e.name) &&
      e.on !== null &&
      !e.on.startsWith('consumer')
    )
      continue;
    const what = [
      e.name,
      e.on ? `on ${e.on}` : null,
      e.enabled ? null : 'disabled',
      e.nested ? `with ${e.nested} nested` : null,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${e.path}${what ? ` (${what})` : ''}`);
  }
  const warnings = loaded.routes
    .filter((r) => r.open.length)
    .map(
      (r) =>
        `route ${r.route}${r.service ? ` (service ${r.service})` : ''} is now OPEN: ${r.open.join(', ')} ${r.open.length === 1 ? 'was' : 'were'} skipped, so anyone gets through`,
    );
  return { lines, warnings };
}
