/**
 * Loading a declarative document (Kong's format, YAML or JSON) into a State through the same
 * commands as every other change: all or nothing, every error at once with its path
 * (`upstreams[1].targets[0].weight: value should be …`).
 */
import YAML from 'yaml';
import { putDeployment, restoreApp } from '../core/apps.js';
import { execute, type Command } from '../core/commands.js';
import { SwitchyardError, type FieldErrors } from '../core/errors.js';
import { emptyState, type Context, type State } from '../core/model.js';
import { isLegacyFormat, migrateLegacyRoute } from '../core/router.js';
import { targetSchema, validate } from '../core/schema.js';
import {
  ACCESS_PLUGINS,
  isRecord,
  known,
  METADATA,
  NESTED_UNSUPPORTED,
  nameOf,
  nestedCount,
  onRoutes,
  pluginScope,
  refOf,
  scopeLabel,
  SKIP_HINT,
  UNSUPPORTED,
  type Known,
  type Scope,
  type SkippedEntity,
  type SkippedOnRoute,
} from './unsupported.js';

/** Where switchyard's own entities sit in a file (Kong's, and switchyard's extensions). */
const OURS = new Set(['services', 'routes', 'upstreams', 'targets', 'apps', 'deployments']);

/** Kong's `_format_version`s (kong/db/schema/others/declarative_config.lua). */
const VERSIONS = ['1.1', '2.1', '3.0'];

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

/**
 * Reads a declarative document into a State, all or nothing: every entity is checked (past the
 * ones that fail, and what depends on them is checked on its own), and every error found is
 * thrown at once, each with its path. Kong's entities that switchyard does not have are errors
 * too, named one by one, unless `skipUnsupported`: then they are left out and listed.
 */
function fromDeclarative(raw: unknown, ctx: Context, opts: LoadOptions = {}): Loaded {
  const source = opts.source ?? 'config';
  if (!isRecord(raw))
    throw SwitchyardError.document(source, {
      '@entity': 'expected a mapping with services, routes and upstreams',
    });
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
    skipped.push({
      path,
      kind,
      name,
      on,
      access: kind === 'plugins' && name !== null && ACCESS_PLUGINS.has(name),
      enabled,
      nested: nestedCount(e),
      scope,
    });
  };

  /** The records of a list, each with its path; what is not a list or a record is an error. */
  const list = (
    owner: Record<string, unknown>,
    key: string,
    path: string,
  ): [Record<string, unknown>, string][] => {
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
      else
        fail({
          _format_version: `unsupported version ${JSON.stringify(v)}; expected one of "1.1", "2.1", "3.0"${v === '3' ? ' (write "3.0")' : ''}`,
        });
    } else if (key === '_info') {
      if (!isRecord(v)) fail({ _info: 'expected a record' });
      else {
        if (
          v.select_tags !== undefined &&
          !(Array.isArray(v.select_tags) && v.select_tags.every((t) => typeof t === 'string'))
        )
          fail({ '_info.select_tags': 'expected an array of strings' });
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
      fail({
        [key]:
          "unknown field (switchyard reads services, routes, upstreams and targets, and knows the rest of Kong's entities by name)",
      });
    }
  }

  /** The entity without Kong's annotations and what it nests that switchyard lacks; decK's defaults and tags applied. */
  const clean = (
    kind: 'service' | 'route' | 'upstream' | 'target',
    e: Record<string, unknown>,
    path: string,
    scope?: Scope,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const d = defaults[kind] ?? {};
    for (const [k, v] of Object.entries(d)) {
      // A service given by url takes its address from it, not from the defaults.
      if (kind === 'service' && e.url !== undefined && ['host', 'port', 'path', 'protocol'].includes(k))
        continue;
      out[k] = v;
    }
    for (const [k, v] of Object.entries(e)) {
      if (k === '_comment' || k === '_ignore') {
        const bad = METADATA[k]!(v);
        if (bad) fail({ [`${path}.${k}`]: bad });
      } else if (scope && NESTED_UNSUPPORTED.includes(k)) {
        // A nested plugin may name more of its scope itself (decK: `route:` on a service's plugin).
        for (const [x, p] of list(e, k, `${path}.${k}`))
          unsupported(k, x, p, {
            ...pluginScope(x),
            ...scope,
            ...(scope.route === undefined && refOf(x.route) !== undefined
              ? { route: refOf(x.route), label: undefined }
              : {}),
          });
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
    if (Array.isArray(fields.targets))
      fields.targets = fields.targets.map((t, j) =>
        isRecord(t) ? clean('target', t, `${path}.targets[${j}]`) : t,
      );
    if (!run(path, { op: 'upstream.create', fields }) && typeof u.name === 'string')
      failedUpstreams.add(u.name);
  }
  for (const [t, path] of list(doc, 'targets', 'targets')) {
    const { upstream, ...fields } = clean('target', t, path);
    const name = refOf(upstream);
    if (name === undefined) fail({ [`${path}.upstream`]: 'required field missing' });
    else if (failedUpstreams.has(name))
      fail(prefixFields(validate(targetSchema, fields, 'create').errors, path));
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
      const { service: _service, ...rf } = migrated(
        clean('route', r, rpath, { route: `@${rpath}`, label: rk.label }),
      );
      // The routes of a service that failed are still checked, on their own.
      if (
        run(rpath, { op: 'route.create', ...(created ? { service: created.id } : {}), fields: rf }) &&
        created
      )
        routes.push({ known: rk, service: k });
    }
  }
  for (const [r, path] of list(doc, 'routes', 'routes')) {
    const rk = known(path, r);
    const { service, ...rf } = migrated(clean('route', r, path, { route: `@${path}`, label: rk.label }));
    const ref = refOf(service);
    const orphan = ref !== undefined && failedServices.has(ref);
    if (
      run(path, {
        op: 'route.create',
        fields: {
          ...rf,
          ...(service !== undefined && !orphan
            ? { service: isRecord(service) ? service : { name: service } }
            : {}),
        },
      })
    ) {
      routes.push({ known: rk, service: services.find((x) => ref !== undefined && x.keys.has(ref)) ?? null });
    }
  }
  // switchyard's extension: blue-green deployments (SAP), records known by their id.
  for (const [d, path] of list(doc, 'deployments', 'deployments'))
    attempt(
      path,
      () => putDeployment(state, d, { ...ctx, now: (d.updated_at as number | undefined) ?? ctx.now }).state,
    );

  // A service that splits over an upstream that failed: that upstream's own error says it.
  for (const [k, v] of Object.entries(errors))
    if ([...failedUpstreams].some((n) => v === `no upstream named '${n}'`)) delete errors[k];
  if (Object.keys(errors).length) {
    throw SwitchyardError.document(source, errors, refused ? SKIP_HINT : undefined);
  }
  return {
    state,
    formatVersion: version,
    skipped: skipped.map(({ scope: _s, ...e }) => e),
    routes: onRoutes(skipped, routes),
  };
}

function prefixFields(fields: FieldErrors, path: string): FieldErrors {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k === '@entity' ? path : `${path}.${k}`, v]),
  );
}

/** A command's failure as field errors under the entity's path. */
function fieldErrorsOf(e: unknown, path: string): FieldErrors {
  if (!(e instanceof SwitchyardError)) throw e;
  if (e.code === 'schema violation') return prefixFields(e.fields, path);
  const keys = Object.keys(e.fields);
  const at = keys.length === 1 && !keys[0]!.startsWith('@') ? `${path}.${keys[0]}` : path;
  return { [at]: e.message };
}

/** Reads a declarative file's text: YAML or JSON. */
export function readDeclarative(text: string, ctx: Context, opts: LoadOptions = {}): Loaded {
  return fromDeclarative(parseDocument(text, opts.source), ctx, opts);
}

/** The State of a declarative text, refusing what switchyard does not have. */
export function loadDeclarative(text: string, ctx: Context, source = 'config'): State {
  return readDeclarative(text, ctx, { source }).state;
}
