/**
 * The deployment descriptor of `bg-deploy`, in the spirit of an MTA's mtad.yaml:
 *
 *   ID: shop
 *   version: 2.0.0
 *   modules:
 *     - name: shop-web
 *       command: VERSION=2 node server.js     # or targets: [127.0.0.1:3001, …]
 *       instances: 2
 *       routes: [shop.example.com]
 *
 * The MTA form `parameters: { instances: 2, routes: [{ route: shop.example.com }] }` is read too.
 * A bad manifest is rejected whole, before anything changes, with the path of the bad field.
 */
import { parseRoute, routeText } from '../core/apps.js';
import { SwitchyardError, type FieldErrors } from '../core/errors.js';
import { appSchema, checkAppName, validate, type Schema } from '../core/schema.js';
import { parseDocument } from '../config/yaml.js';

export interface ManifestModule {
  readonly name: string;
  readonly command: string | null;
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
}

const moduleSchema = {
  name: { type: 'string', required: true, check: checkAppName },
  type: { type: 'string', maxLength: 128 },
  path: { type: 'string', maxLength: 4096 },
  command: appSchema.command,
  targets: appSchema.targets,
  instances: appSchema.instances,
  env: appSchema.env,
  health_path: appSchema.health_path,
  'health-check-http-endpoint': appSchema.health_path,
  routes: { type: 'array', elements: { type: 'string', maxLength: 512 }, default: [] },
  // No defaults inside `parameters`: what it leaves out comes from the module itself.
  parameters: {
    type: 'record',
    fields: {
      instances: { ...appSchema.instances, default: undefined },
      command: { ...appSchema.command, default: undefined },
      targets: appSchema.targets,
      env: { ...appSchema.env, default: undefined },
      'health-check-http-endpoint': { ...appSchema.health_path, default: undefined },
      routes: { type: 'array', elements: { type: 'record', fields: { route: { type: 'string', required: true, maxLength: 512 } } } },
    },
  },
} as const satisfies Schema;

const manifestSchema = {
  ID: { type: 'string', required: true, check: checkAppName },
  version: { type: 'string', maxLength: 64 },
  '_schema-version': { type: 'string', maxLength: 16 },
  description: { type: 'string', maxLength: 4096 },
  modules: { type: 'array', required: true, elements: { type: 'record', fields: moduleSchema }, maxItems: 64 },
} as const satisfies Schema;

export function parseManifest(text: string, source = 'manifest'): Manifest {
  const raw = parseDocument(text, source);
  // YAML reads `version: 2.0` as a number; a version is a string.
  if (raw && typeof raw === 'object' && typeof (raw as { version?: unknown }).version === 'number') {
    (raw as { version: unknown }).version = String((raw as { version: number }).version);
  }
  const { value, errors } = validate(manifestSchema, raw, 'create');
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  const modules = (value.modules as Record<string, unknown>[]) ?? [];
  if (modules.length === 0) throw SwitchyardError.schema({ modules: 'at least one module is needed' });
  const out: ManifestModule[] = [];
  const problems: FieldErrors = {};
  const seenRoutes = new Map<string, string>();
  modules.forEach((m, i) => {
    const at = `modules[${i}]`;
    const p = (m.parameters as Record<string, unknown> | undefined) ?? {};
    const name = m.name as string;
    if (out.some((x) => x.name === name)) problems[`${at}.name`] = `duplicate module '${name}'`;
    const command = (m.command as string | null | undefined) ?? (p.command as string | null | undefined) ?? null;
    const targets = (m.targets as string[] | null | undefined) ?? (p.targets as string[] | null | undefined) ?? null;
    if (command && targets?.length) problems[`${at}.command`] = 'give either a command or targets, not both';
    if (!command && !targets?.length) problems[`${at}.command`] = 'each module needs a command (or targets)';
    const routes: string[] = [];
    const rawRoutes = [...((m.routes as string[]) ?? []), ...((p.routes as { route: string }[] | undefined) ?? []).map((r) => r.route)];
    rawRoutes.forEach((r, j) => {
      try {
        const text = routeText(parseRoute(r));
        const owner = seenRoutes.get(text);
        if (owner !== undefined) problems[`${at}.routes[${j}]`] = `route ${text} is already a route of module '${owner}'`;
        seenRoutes.set(text, name);
        routes.push(text);
      } catch (e) {
        problems[`${at}.routes[${j}]`] = (e as SwitchyardError).fields.route ?? (e as Error).message;
      }
    });
    out.push({
      name,
      command,
      targets,
      instances: (p.instances as number | undefined) ?? (m.instances as number),
      env: { ...((m.env as Record<string, string>) ?? {}), ...((p.env as Record<string, string>) ?? {}) },
      health_path: (m.health_path as string | null | undefined) ?? (m['health-check-http-endpoint'] as string | undefined) ?? (p['health-check-http-endpoint'] as string | undefined) ?? null,
      routes,
    });
  });
  if (Object.keys(problems).length) throw SwitchyardError.schema(problems);
  return { id: value.ID as string, version: (value.version as string | undefined) ?? null, modules: out };
}

/** `shop.example.com/api` → `shop-idle.example.com/api`: where the new version answers while pending. */
export function tempRoute(route: string): string {
  const r = parseRoute(route);
  const [first, ...rest] = r.host.split('.');
  return `${first}-idle.${rest.join('.')}${r.path ?? ''}`;
}
