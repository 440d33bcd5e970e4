/**
 * Kong's generated entity endpoints (kong/api/endpoints.lua), made from one registration per
 * entity: the collection (`/routes`: list with paging, POST), the entity (`/routes/{r}`: GET,
 * PATCH, PUT as Kong's upsert, DELETE), and from the foreign key (a route's `service`) the
 * nested collection and entity (`/services/{s}/routes[/{r}]`) and the entity through its key
 * (`/routes/{r}/service`). Every change is the registration's core command, run as the admin.
 */
import { randomUUID } from 'node:crypto';
import type { Command, Fields } from '../../core/commands.js';
import type { State } from '../../core/model.js';
import type { Schema } from '../../core/schema.js';
import type { Store } from '../../core/store.js';
import { parseBody } from '../body.js';
import { created, methodNotAllowed, noContent, notFound, ok, type Reply } from '../kong.js';
import { page } from '../paging.js';
import type { Router } from '../router.js';

export interface Entity {
  readonly id: string;
}

/** The foreign key of a child kind: a route's `service`, a target's `upstream`. */
export interface Foreign<E extends Entity, P extends Entity> {
  /** The field naming the parent, and the path segment of `/routes/{r}/service`. */
  readonly field: string;
  readonly parent: EntityDef<P>;
  /** The parent `e` belongs to, if any. */
  parentOf(state: State, e: E): P | undefined;
  /** Whether `/{collection}/{key}/{field}` exists (Kong disables `/targets/{t}/upstream`). */
  readonly reverse: boolean;
}

/** One entity kind as the admin API serves it. `P`: the parent kind, for a kind with a foreign key. */
export interface EntityDef<E extends Entity, P extends Entity = Entity> {
  /** The collection's URL segment (Kong's admin_api_name). */
  readonly collection: string;
  readonly schema: Schema;
  /** What PUT's key names when it is not a UUID (Kong's endpoint_key). */
  readonly endpointKey: 'name' | 'target';
  /** Fields a PUT leaves as they are, beside the keys and timestamps; the rest go back to defaults. */
  readonly putKeeps?: readonly string[];
  /** A PUT's fields, where the schema's defaults do not say it all (a service's url). */
  readonly replacement?: (body: Fields) => Fields;
  /** `/{collection}` and `/{collection}/{key}`; false where Kong disables them (targets live under their upstream). */
  readonly topLevel: boolean;
  /**
   * Whether a PUT of an entity that is not there creates it (Kong's upsert). Kong's targets
   * (kong/api/routes/upstreams.lua) only replace one that is there, under its upstream.
   */
  readonly putCreates: boolean;
  readonly foreign?: Foreign<E, P>;
  /** Further names of the nested collection's list (Kong's `/upstreams/{u}/targets/all`). */
  readonly listAliases?: readonly string[];
  /** All entities, or those under `parent`. */
  list(state: State, parent?: P): readonly E[];
  /** One by its key (id, name, address), among all or under `parent`. */
  find(state: State, key: string, parent?: P): E | undefined;
  /** The entity as Kong returns it. */
  json(e: E, parent?: P): unknown;
  create(fields: Fields, parent?: P): Command;
  update(e: E, fields: Fields, parent?: P): Command;
  remove(e: E, parent?: P): Command;
  /** Endpoints of the kind beyond Kong's generated ones (an upstream's health). */
  extra?(mount: Mount<E, P>): void;
}

/** What the generated endpoints work on: the store, and the node's id (Kong's `node_id`). */
export interface EntityEnv {
  readonly store: Store;
  readonly nodeId: string;
}

/** What a registration's `extra` endpoints get: the router and the kind's lookups. */
export interface Mount<E extends Entity, P extends Entity> {
  readonly router: Router;
  readonly env: EntityEnv;
  readonly def: EntityDef<E, P>;
  /** The parent entity's path, `/upstreams/:parent`. */
  readonly parentPath: `/${string}/:parent`;
  /** The parent named by the URL, or 404. */
  parent(key: string): P;
  /** The entity named by the URL under `parent`, or 404. */
  child(parent: P, key: string): E;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PUT's key: a UUID is the id, anything else the endpoint key (Kong's endpoint_key). */
export function keyFields(key: string, field: 'name' | 'target'): Record<string, string> {
  return UUID_RE.test(key) ? { id: key } : { [field]: key };
}

/**
 * What PUT (Kong's upsert) resets: every field the body leaves out goes back to its default, or
 * null where it may be null, so the entity ends up exactly as the body describes it.
 */
export function replaceFields(schema: Schema, body: Fields, keep: readonly string[]): Fields {
  const out: Fields = { ...body };
  for (const [key, field] of Object.entries(schema)) {
    if (keep.includes(key) || key in out) continue;
    if ('default' in field && field.default !== undefined)
      out[key] = Array.isArray(field.default) ? [...(field.default as unknown[])] : field.default;
    else if ('nullable' in field && field.nullable) out[key] = null;
  }
  return out;
}

function replacement<E extends Entity, P extends Entity>(def: EntityDef<E, P>, body: Fields): Fields {
  return (
    def.replacement?.(body) ??
    replaceFields(def.schema, body, [
      'id',
      'created_at',
      'updated_at',
      def.endpointKey,
      ...(def.putKeeps ?? []),
    ])
  );
}

/** The store as the generated endpoints use it: read the state, run a command as the admin. */
function using(store: Store) {
  return {
    state: (): State => store.state,
    /** The entity the command made or changed (core's `Outcome.entity`). */
    run: (command: Command): unknown => store.dispatch(command, 'admin').entity,
  };
}

function found<T>(e: T | undefined): T {
  if (e === undefined) throw notFound();
  return e;
}

/** Registers every endpoint Kong generates for `def` on `router`. */
export function defineEntity<E extends Entity, P extends Entity>(
  router: Router,
  env: EntityEnv,
  def: EntityDef<E, P>,
): void {
  const { state, run } = using(env.store);
  /** The entity a command made or changed, as Kong returns it. */
  const made = (command: Command): unknown => def.json(run(command) as E);

  /** Kong's upsert: creates the entity the URL names, or replaces it; the URL's key wins over the body's. */
  const upsert = (key: string, body: Fields): Reply => {
    const fields = { ...body, ...keyFields(key, def.endpointKey) };
    const e = def.find(state(), key);
    if (!e) return ok(made(def.create(fields)));
    const { id: _id, ...replaced } = replacement(def, fields);
    return ok(made(def.update(e, replaced)));
  };

  const c = def.collection;
  if (def.topLevel) {
    router.on('GET', `/${c}`, ({ url }) =>
      page(
        def.list(state()).map((e) => def.json(e)),
        url,
      ),
    );
    router.on('POST', `/${c}`, async ({ req }) => created(made(def.create(await parseBody(req)))));
    router.on('GET', `/${c}/:key`, ({ params }) => ok(def.json(found(def.find(state(), params.key)))));
    router.on('PATCH', `/${c}/:key`, async ({ req, params }) => {
      const fields = await parseBody(req);
      return ok(made(def.update(found(def.find(state(), params.key)), fields)));
    });
    router.on('PUT', `/${c}/:key`, async ({ req, params }) => upsert(params.key, await parseBody(req)));
    // Deleting what is not there is done: 204 (unlike under a parent, below).
    router.on('DELETE', `/${c}/:key`, ({ params }) => {
      const e = def.find(state(), params.key);
      if (e) run(def.remove(e));
      return noContent;
    });
  }
  if (def.foreign) defineNested(router, env, def, def.foreign, upsert);
}

/** `/{parents}/{p}/{collection}[/{key}]` and `/{collection}/{key}/{field}`, from the foreign key. */
function defineNested<E extends Entity, P extends Entity>(
  router: Router,
  env: EntityEnv,
  def: EntityDef<E, P>,
  foreign: Foreign<E, P>,
  upsert: (key: string, body: Fields) => Reply,
): void {
  const { state, run } = using(env.store);
  const made = (command: Command, p: P): unknown => def.json(run(command) as E, p);
  const pdef = foreign.parent;
  const mount: Mount<E, P> = {
    router,
    env,
    def,
    parentPath: `/${pdef.collection}/:parent`,
    parent: (key) => found(pdef.find(state(), key)),
    child: (p, key) => found(def.find(state(), key, p)),
  };
  const { parent, child } = mount;

  const base = `${mount.parentPath}/${def.collection}` as const;
  for (const path of [base, ...(def.listAliases ?? []).map((a) => `${base}/${a}` as const)]) {
    router.on('GET', path, ({ url, params }) => {
      const p = parent(params.parent);
      return page(
        def.list(state(), p).map((e) => def.json(e, p)),
        url,
        true,
      );
    });
  }
  router.on('POST', base, async ({ req, params }) => {
    const p = parent(params.parent);
    return created(made(def.create(await parseBody(req), p), p));
  });

  router.on('GET', `${base}/:key`, ({ params }) => {
    const p = parent(params.parent);
    return ok(def.json(child(p, params.key), p));
  });
  // A foreign key in the body moves the entity: Kong lets a PATCH do that.
  router.on('PATCH', `${base}/:key`, async ({ req, params }) => {
    const p = parent(params.parent);
    const fields = await parseBody(req);
    return ok(made(def.update(child(p, params.key), fields, p), p));
  });
  router.on('PUT', `${base}/:key`, async ({ req, params }) => {
    const p = parent(params.parent);
    const body = await parseBody(req);
    // Kong's upsert: the parent comes from the URL, whatever the entity belonged to before.
    if (def.putCreates) return upsert(params.key, { ...body, [foreign.field]: { id: p.id } });
    const e = child(p, params.key);
    return ok(made(def.update(e, replacement(def, body), p), p));
  });
  // Unlike the top-level DELETE, what is not there (under this parent) is a 404.
  router.on('DELETE', `${base}/:key`, ({ params }) => {
    const p = parent(params.parent);
    run(def.remove(child(p, params.key), p));
    return noContent;
  });

  if (foreign.reverse) defineReverse(router, env.store, def, foreign);
  def.extra?.(mount);
}

/** `/routes/{r}/service`: the parent seen through its child (Kong's foreign entity endpoint). */
function defineReverse<E extends Entity, P extends Entity>(
  router: Router,
  store: Store,
  def: EntityDef<E, P>,
  foreign: Foreign<E, P>,
): void {
  const { state, run } = using(store);
  const pdef = foreign.parent;
  const path = `/${def.collection}/:key/${foreign.field}` as const;
  const entity = (key: string): E => found(def.find(state(), key));
  const parentOf = (e: E): P => found(foreign.parentOf(state(), e));

  router.on('GET', path, ({ params }) => ok(pdef.json(parentOf(entity(params.key)))));
  router.on('PATCH', path, async ({ req, params }) => {
    const p = parentOf(entity(params.key));
    return ok(pdef.json(run(pdef.update(p, await parseBody(req))) as P));
  });
  // Replaces the parent, or creates one and attaches the entity to it.
  router.on('PUT', path, async ({ req, params }) => {
    const e = entity(params.key);
    const body = await parseBody(req);
    const current = foreign.parentOf(state(), e);
    if (current) return ok(pdef.json(run(pdef.update(current, replacement(pdef, body))) as P));
    const id = randomUUID();
    run({
      op: 'batch',
      commands: [pdef.create({ ...body, id }), def.update(e, { [foreign.field]: { id } })],
    });
    return ok(pdef.json(found(pdef.find(state(), id))));
  });
  // Kong will not delete a parent through its child.
  router.on('DELETE', path, ({ params }) => {
    parentOf(entity(params.key));
    throw methodNotAllowed();
  });
}
