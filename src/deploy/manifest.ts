/**
 * The deployment descriptor of `bg-deploy`: a real MTA descriptor (`mtad.yaml` / `mta.yaml`,
 * `_schema-version` 2.x or 3.x) as SAP's deploy service reads it, or switchyard's short form:
 *
 *   ID: shop
 *   version: 2.0.0
 *   modules:
 *     - name: shop-web
 *       command: VERSION=2 node server.js     # or targets: [127.0.0.1:3001, …]
 *       instances: 2
 *       routes: [shop.example.com]
 *
 * Read locally:
 * - a module runs as an app named after its `app-name` parameter or its name, made a valid app name
 *   (`hello_router` → `hello-router`, see appNameFrom in core), coloured `-blue`/`-green`;
 * - it runs `parameters.command`, else what `push` would run in its `path` (or in a directory
 *   named after the module beside the descriptor): a Procfile's `web:` line or `npm start`;
 * - `properties` (and the properties of its `requires`) become its environment, `${…}`
 *   placeholders and `~{group/prop}` references resolved; without routes an MTA module gets the
 *   default route `${default-host}.${default-domain}` (the app name at the default domain);
 * - what has no local meaning (memory, buildpack, services…) is accepted and listed in `notes`.
 * A bad descriptor is rejected whole, before anything changes, with the path of the bad field.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseRoute, routeText } from '../core/apps.js';
import { SwitchyardError, type FieldErrors } from '../core/errors.js';
import { appNameFrom, appSchema, checkMtaId, validate } from '../core/schema.js';
import { detectCommand } from '../apps/detect.js';
import { parseDocument } from '../config/yaml.js';

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

export interface Manifest {
  readonly id: string;
  readonly version: string | null;
  readonly modules: readonly ManifestModule[];
  /** What the descriptor says that has no meaning here, one line each. */
  readonly notes: readonly string[];
}

export interface ManifestOptions {
  /** The descriptor's directory: module paths are relative to it. @default process.cwd() */
  readonly dir?: string;
  /** `${default-domain}`. @default 'localhost' */
  readonly defaultDomain?: string;
}

export const DEFAULT_DOMAIN = 'localhost';

/** Parameters with no local meaning: accepted, listed once. */
const NO_LOCAL_MEANING = new Set([
  'memory',
  'disk-quota',
  'buildpack',
  'buildpacks',
  'stack',
  'upload-timeout',
  'health-check-timeout',
  'health-check-invocation-timeout',
  'health-check-interval',
  'app-features',
  'enable-ssh',
  'docker',
  'keep-existing',
  'keep-existing-routes',
  'tasks',
  'restart-on-env-change',
  'dependency-type',
  'timeout',
  'create-service-broker',
  'service-broker-name',
  'routes-keep-existing',
  'idle-routes',
  'idle-host',
  'idle-domain',
  'readiness-health-check-type',
  'readiness-health-check-http-endpoint',
  'env-var-name',
]);
/** Parameters this reader uses. */
const USED = new Set([
  'instances',
  'command',
  'targets',
  'env',
  'app-name',
  'host',
  'hosts',
  'domain',
  'domains',
  'routes',
  'no-route',
  'no-start',
  'health-check-type',
  'health-check-http-endpoint',
]);
const MODULE_KEYS = new Set([
  'name',
  'type',
  'path',
  'description',
  'properties',
  'parameters',
  'requires',
  'provides',
  'command',
  'targets',
  'instances',
  'env',
  'health_path',
  'health-check-http-endpoint',
  'routes',
]);
/** Module keys of the MTA that say nothing to a local run. */
const MODULE_IGNORED = new Set([
  'includes',
  'build-parameters',
  'hooks',
  'deployed-after',
  'properties-metadata',
  'parameters-metadata',
]);
const TOP_KEYS = new Set([
  'ID',
  'version',
  '_schema-version',
  'description',
  'provider',
  'copyright',
  'parameters',
  'modules',
  'resources',
]);
const TOP_IGNORED = new Set([
  'module-types',
  'resource-types',
  'parameters-metadata',
  'properties-metadata',
  'includes',
  'build-parameters',
  'extension-descriptor',
  'license',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Thrown inside resolution with the reason; caught and filed under the field's path. */
class Bad extends Error {}

const PLACEHOLDER = /\$\{([^}]+)\}/g;
const REFERENCE = /~\{([^}]+)\}/g;

/**
 * `${name}` in strings (deep), by `lookup`. A value that is one whole placeholder takes the
 * looked-up value as it is (a number stays a number), as the deploy service does.
 */
function substitute(v: unknown, pattern: RegExp, lookup: (name: string) => unknown): unknown {
  if (typeof v === 'string') {
    const whole = new RegExp(`^${pattern.source}$`).exec(v);
    if (whole) return lookup(whole[1]!.trim());
    return v.replace(pattern, (_, name: string) => text(lookup(name.trim())));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, pattern, lookup));
  if (isObj(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, pattern, lookup)]));
  return v;
}

/** An environment variable's text: strings as they are, other values as JSON (as the deploy service sets them). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

export function parseManifest(text_: string, source = 'manifest', opts: ManifestOptions = {}): Manifest {
  const raw = parseDocument(text_, source);
  if (!isObj(raw))
    throw SwitchyardError.schema({ '@entity': 'expected an MTA descriptor: ID, version and modules' });
  const problems: FieldErrors = {};
  const notes = new Notes();
  const dir = opts.dir ?? process.cwd();
  const defaultDomain = opts.defaultDomain ?? DEFAULT_DOMAIN;

  // YAML reads `version: 2.0` as a number; a version is a string.
  const str = (v: unknown) => (typeof v === 'number' ? String(v) : v);
  const schemaVersion = str(raw['_schema-version']);
  const mta = schemaVersion !== undefined;
  if (mta && (typeof schemaVersion !== 'string' || !/^[23](\.\d+){0,2}$/.test(schemaVersion))) {
    problems['_schema-version'] =
      `unsupported schema version '${String(schemaVersion)}': switchyard reads MTA descriptors of schema 2.x and 3.x`;
  }
  const id = raw.ID;
  if (typeof id !== 'string') problems.ID = id === undefined ? 'required field missing' : 'expected a string';
  else if (checkMtaId(id)) problems.ID = checkMtaId(id)!;
  const version = str(raw.version);
  if (version !== undefined && version !== null && (typeof version !== 'string' || version.length > 64))
    problems.version = 'expected a version string (at most 64 characters)';
  for (const k of Object.keys(raw)) {
    if (TOP_IGNORED.has(k)) notes.add('not used locally', k);
    else if (!TOP_KEYS.has(k)) problems[k] = 'unknown field';
  }
  const globals = raw.parameters === undefined ? {} : raw.parameters;
  if (!isObj(globals)) problems.parameters = 'expected a record';
  const modules = raw.modules;
  if (!Array.isArray(modules) || modules.length === 0)
    problems.modules = Array.isArray(modules)
      ? 'at least one module is needed'
      : modules === undefined
        ? 'required field missing'
        : 'expected an array';
  else if (modules.length > 64) problems.modules = 'at most 64 modules';
  const resources = raw.resources === undefined ? [] : raw.resources;
  if (!Array.isArray(resources)) problems.resources = 'expected an array';
  if (Object.keys(problems).length) throw SwitchyardError.schema(problems);
  const mods = modules as unknown[];
  const global = globals as Obj;

  const generated = new Map<string, string>();
  const gen = (key: string, bytes: number) => {
    if (!generated.has(key)) generated.set(key, randomBytes(bytes).toString('hex'));
    return generated.get(key)!;
  };
  const GLOBAL_DEFAULTS: Record<string, () => unknown> = {
    'default-domain': () => defaultDomain,
    domain: () => defaultDomain,
    protocol: () => 'http',
    org: () => 'local',
    space: () => 'local',
    user: () => process.env.USER ?? 'local',
    'mta-id': () => id,
    'mta-version': () => version ?? null,
    'generated-password': () => gen('password', 12),
    'generated-user': () => gen('user', 6),
  };

  /** Resolves `${…}` in module `m`'s parameters, lazily and with cycles named. */
  const scopeOf = (params: Obj, defaults: Record<string, () => unknown>) => {
    const done = new Map<string, unknown>();
    const busy = new Set<string>();
    const lookup = (name: string): unknown => {
      if (done.has(name)) return done.get(name);
      if (busy.has(name)) throw new Bad(`placeholder \${${name}} refers to itself`);
      busy.add(name);
      let v: unknown;
      try {
        if (name in params) v = substitute(params[name], PLACEHOLDER, lookup);
        else if (name in defaults) v = defaults[name]!();
        else if (name in global) v = substitute(global[name], PLACEHOLDER, lookup);
        else if (name in GLOBAL_DEFAULTS) v = GLOBAL_DEFAULTS[name]!();
        else throw new Bad(`unknown placeholder \${${name}}`);
      } finally {
        busy.delete(name);
      }
      done.set(name, v);
      return v;
    };
    return lookup;
  };
  const resolve = (at: string, v: unknown, lookup: (n: string) => unknown): unknown => {
    try {
      return substitute(v, PLACEHOLDER, lookup);
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      problems[at] = e.message;
      return undefined;
    }
  };

  // Resources: what they provide is their properties; services are not created here.
  const groups = new Map<string, { props: Obj; from: string }>();
  const services: string[] = [];
  (resources as unknown[]).forEach((r, i) => {
    const at = `resources[${i}]`;
    if (!isObj(r) || typeof r.name !== 'string')
      return void (problems[`${at}.name`] = 'each resource needs a name');
    const params = isObj(r.parameters) ? r.parameters : {};
    const lookup = scopeOf(params, {});
    const props = resolve(`${at}.properties`, isObj(r.properties) ? r.properties : {}, lookup) as
      Obj | undefined;
    groups.set(r.name, { props: props ?? {}, from: `resource ${r.name}` });
    if (r.type !== undefined || r.parameters !== undefined)
      services.push(`${r.name}${typeof r.type === 'string' ? ` (${r.type})` : ''}`);
  });
  if (services.length) notes.add('services not created locally (resources)', ...services);

  interface Pending {
    at: string;
    m: Obj;
    name: string;
    app: string;
    params: Obj;
    lookup: (n: string) => unknown;
  }
  const pending: Pending[] = [];
  const apps = new Map<string, string>();
  mods.forEach((m, i) => {
    const at = `modules[${i}]`;
    if (!isObj(m)) return void (problems[at] = 'expected a record');
    const name = m.name;
    if (typeof name !== 'string')
      return void (problems[`${at}.name`] =
        name === undefined ? 'required field missing' : 'expected a string');
    const bad = checkMtaId(name);
    if (bad) return void (problems[`${at}.name`] = bad.replace('MTA id', 'module name'));
    if (pending.some((x) => x.name === name))
      return void (problems[`${at}.name`] = `duplicate module '${name}'`);
    for (const k of Object.keys(m)) {
      if (MODULE_IGNORED.has(k)) notes.add('not used locally', k);
      else if (!MODULE_KEYS.has(k)) problems[`${at}.${k}`] = 'unknown field';
    }
    if (m.parameters !== undefined && !isObj(m.parameters))
      return void (problems[`${at}.parameters`] = 'expected a record');
    const params = (m.parameters as Obj | undefined) ?? {};
    for (const k of Object.keys(params)) {
      if (NO_LOCAL_MEANING.has(k)) notes.add('no local meaning, ignored', k);
      else if (!USED.has(k)) notes.add('not used locally', k);
    }
    const appParam = params['app-name'];
    let app: string | null = null;
    const lookup = scopeOf(params, {
      // The deploy service's default host is <org>-<space>-<app>; locally, the app name.
      'default-host': () => app,
      'app-name': () => app,
      host: () => app,
      'default-uri': () => `${text(lookup('host'))}.${text(lookup('domain'))}`,
      'default-url': () => `${text(lookup('protocol'))}://${text(lookup('default-uri'))}`,
      'default-instances': () => 1,
    });
    const appText =
      appParam === undefined ? name : resolve(`${at}.parameters.app-name`, appParam, scopeOf({}, {}));
    app = typeof appText === 'string' ? appNameFrom(appText) : null;
    if (!app)
      return void (problems[`${at}.${appParam === undefined ? 'name' : 'parameters.app-name'}`] =
        `no app name can be made of '${text(appText)}': it needs a letter`);
    const other = apps.get(app);
    if (other !== undefined)
      return void (problems[`${at}.name`] =
        `module '${name}' would run as app ${app}, as module '${other}' does: give one an app-name parameter`);
    apps.set(app, name);
    pending.push({ at, m, name, app, params, lookup });
    // What it provides, resolved in its own scope, for the modules that require it.
    if (m.provides !== undefined && !Array.isArray(m.provides))
      problems[`${at}.provides`] = 'expected an array';
    ((Array.isArray(m.provides) ? m.provides : []) as unknown[]).forEach((p, j) => {
      if (!isObj(p) || typeof p.name !== 'string')
        return void (problems[`${at}.provides[${j}].name`] = 'each provided dependency needs a name');
      const props = resolve(
        `${at}.provides[${j}].properties`,
        isObj(p.properties) ? p.properties : {},
        lookup,
      ) as Obj | undefined;
      groups.set(p.name, { props: props ?? {}, from: `module ${name}` });
    });
  });

  const out: ManifestModule[] = [];
  const seenRoutes = new Map<string, string>();
  const unusedRequires: string[] = [];
  const noStart: string[] = [];
  function readModule(
    at: string,
    m: Obj,
    name: string,
    app: string,
    params: Obj,
    lookup: (n: string) => unknown,
  ): void {
    // requires: the groups it may reference with ~{group/prop}; their own properties join the environment.
    const env: Record<string, unknown> = {};
    const required = new Map<string, Obj>();
    if (m.requires !== undefined && !Array.isArray(m.requires))
      problems[`${at}.requires`] = 'expected an array';
    ((Array.isArray(m.requires) ? m.requires : []) as unknown[]).forEach((r, j) => {
      const rat = `${at}.requires[${j}]`;
      if (!isObj(r) || typeof r.name !== 'string')
        return void (problems[`${rat}.name`] = 'each required dependency needs a name');
      const group = groups.get(r.name);
      if (!group)
        return void (problems[`${rat}.name`] =
          `'${r.name}' is provided by no module and named by no resource`);
      required.set(r.name, group.props);
      if (!isObj(r.properties)) {
        if (Object.keys(group.props).length === 0) unusedRequires.push(`${name} → ${r.name}`);
        return;
      }
      const own = resolve(`${rat}.properties`, r.properties, lookup);
      let props: unknown;
      try {
        props = substitute(own, REFERENCE, (ref) => {
          if (!(ref in group.props))
            throw new Bad(`~{${ref}}: ${group.from} provides no property '${ref}' in '${r.name}'`);
          return group.props[ref];
        });
      } catch (e) {
        if (!(e instanceof Bad)) throw e;
        problems[`${rat}.properties`] = e.message;
        return;
      }
      const grouped =
        isObj(r.parameters) && typeof r.parameters.group === 'string' ? r.parameters.group : null;
      if (grouped) env[grouped] = [...((env[grouped] as unknown[]) ?? []), props];
      else Object.assign(env, props as Obj);
    });
    if (m.properties !== undefined && !isObj(m.properties))
      problems[`${at}.properties`] = 'expected a record';
    const props = resolve(`${at}.properties`, isObj(m.properties) ? m.properties : {}, lookup);
    try {
      Object.assign(
        env,
        substitute(props, REFERENCE, (ref) => {
          const [g, p] = ref.includes('/')
            ? [ref.slice(0, ref.indexOf('/')), ref.slice(ref.indexOf('/') + 1)]
            : [undefined, ref];
          if (g === undefined) throw new Bad(`~{${ref}}: name the group, as in ~{group/${ref}}`);
          const group = required.get(g);
          if (!group)
            throw new Bad(`~{${ref}}: module '${name}' does not require '${g}' (add it under requires)`);
          if (!(p in group)) throw new Bad(`~{${ref}}: '${g}' has no property '${p}'`);
          return group[p];
        }) as Obj,
      );
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      problems[`${at}.properties`] = e.message;
    }
    const P = (k: string) => (k in params ? resolve(`${at}.parameters.${k}`, params[k], lookup) : undefined);
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

    // Routes: given, or hosts × domains, or (an MTA module) its default route; none with no-route.
    const given: string[] = [...(Array.isArray(m.routes) ? (m.routes as unknown[]) : []).map((r) => text(r))];
    const pr = P('routes');
    if (pr !== undefined) {
      if (!Array.isArray(pr))
        problems[`${at}.parameters.routes`] = 'expected an array of { route: HOST.DOMAIN[/PATH] }';
      else
        pr.forEach((r, j) =>
          isObj(r) && typeof r.route === 'string'
            ? given.push(r.route)
            : typeof r === 'string'
              ? given.push(r)
              : (problems[`${at}.parameters.routes[${j}]`] = 'expected { route: HOST.DOMAIN[/PATH] }'),
        );
    }
    const list = (one: string, many: string) => {
      const v = P(many) ?? (P(one) === undefined ? undefined : [P(one)]);
      return Array.isArray(v) ? v.map(text) : undefined;
    };
    const hosts = list('host', 'hosts');
    const domains = list('domain', 'domains');
    if (!given.length && (hosts || domains)) {
      for (const h of hosts ?? [text(lookup('host'))])
        for (const d of domains ?? [text(lookup('domain'))]) given.push(h ? `${h}.${d}` : d);
    }
    if (!given.length && mta && P('no-route') !== true && targets === undefined) {
      try {
        given.push(text(lookup('default-uri')));
      } catch (e) {
        problems[`${at}.parameters`] = (e as Error).message;
      }
    }
    const routes: string[] = [];
    if (P('no-route') !== true) {
      given.forEach((r, j) => {
        const spec = r.replace(/^https?:\/\//, '');
        if (spec.startsWith('*.')) return notes.add('wildcard routes not served locally', spec);
        try {
          const t = routeText(parseRoute(spec));
          const owner = seenRoutes.get(t);
          if (owner !== undefined)
            problems[`${at}.routes[${j}]`] = `route ${t} is already a route of module '${owner}'`;
          seenRoutes.set(t, name);
          routes.push(t);
        } catch (e) {
          problems[`${at}.routes[${j}]`] = (e as SwitchyardError).fields?.route ?? (e as Error).message;
        }
      });
    }

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
    out.push({
      name,
      app,
      command: command ?? null,
      cwd,
      targets: targets ?? null,
      instances: value.instances as number,
      env: value.env as Record<string, string>,
      health_path: (value.health_path as string | null) ?? null,
      routes,
    });
  }
  for (const { at, m, name, app, params, lookup } of pending) {
    try {
      readModule(at, m, name, app, params, lookup);
    } catch (e) {
      // A placeholder that cannot resolve where no field caught it: filed under the module.
      if (!(e instanceof Bad)) throw e;
      problems[at] = e.message;
    }
  }
  if (unusedRequires.length) notes.add('requires with nothing to pass on locally', ...unusedRequires);
  if (noStart.length)
    notes.add(
      'no-start: started anyway, as a blue-green deploy checks that the new version answers',
      ...noStart,
    );
  if (Object.keys(problems).length) throw SwitchyardError.schema(problems);
  return {
    id: id as string,
    version: (version as string | undefined) ?? null,
    modules: out,
    notes: notes.lines(),
  };
}

/** Notes by topic, each thing once, in the order met. */
class Notes {
  private readonly topics = new Map<string, Set<string>>();
  add(topic: string, ...what: string[]): void {
    const set = this.topics.get(topic) ?? new Set();
    for (const w of what) set.add(w);
    this.topics.set(topic, set);
  }
  lines(): string[] {
    return [...this.topics].map(([t, s]) => `${t}: ${[...s].join(', ')}`);
  }
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

/** `shop.example.com/api` → `shop-idle.example.com/api`: where the new version answers while pending. */
export function tempRoute(route: string): string {
  const r = parseRoute(route);
  const [first, ...rest] = r.host.split('.');
  return `${first}-idle.${rest.join('.')}${r.path ?? ''}`;
}
