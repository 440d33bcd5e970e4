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
 *
 * This file reads the descriptor's top level, its resources, and what each module is called and
 * provides; a module's body is read in `module.ts` (its environment, its routes and the
 * placeholders each in a file of their own).
 */
import { SwitchyardError, type FieldErrors } from '../core/errors.js';
import { appNameFrom, checkMtaId } from '../core/schema.js';
import { parseDocument } from '../config/yaml.js';
import type { Group, PendingModule, ReadContext } from './context.js';
import {
  isObj,
  MODULE_IGNORED,
  MODULE_KEYS,
  NO_LOCAL_MEANING,
  Notes,
  TOP_IGNORED,
  TOP_KEYS,
  USED,
  type Obj,
} from './descriptor.js';
import { readModule, type ManifestModule } from './module.js';
import { Bad, globalDefaults, resolveAt, scopes, text, type Lookup } from './placeholders.js';

export { tempRoute } from './routes.js';
export type { ManifestModule } from './module.js';

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

  const scopeOf = scopes(global, globalDefaults(id, version, defaultDomain));
  const resolve = (at: string, v: unknown, lookup: Lookup): unknown => resolveAt(problems, at, v, lookup);

  // Resources: what they provide is their properties; services are not created here.
  const groups = new Map<string, Group>();
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

  const pending: PendingModule[] = [];
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

  const ctx: ReadContext = {
    problems,
    notes,
    dir,
    mta,
    groups,
    seenRoutes: new Map(),
    unusedRequires: [],
    noStart: [],
  };
  const out: ManifestModule[] = [];
  for (const pm of pending) {
    try {
      out.push(readModule(ctx, pm));
    } catch (e) {
      // A placeholder that cannot resolve where no field caught it: filed under the module.
      if (!(e instanceof Bad)) throw e;
      problems[pm.at] = e.message;
    }
  }
  const { unusedRequires, noStart } = ctx;
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
