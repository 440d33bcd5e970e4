/**
 * What an MTA descriptor may say, and what of it means something here: the keys read at the top
 * and in a module, those accepted with no local meaning, and the notes that list them once.
 */

/** Parameters with no local meaning: accepted, listed once. */
export const NO_LOCAL_MEANING = new Set([
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
export const USED = new Set([
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
export const MODULE_KEYS = new Set([
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
export const MODULE_IGNORED = new Set([
  'includes',
  'build-parameters',
  'hooks',
  'deployed-after',
  'properties-metadata',
  'parameters-metadata',
]);
export const TOP_KEYS = new Set([
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
export const TOP_IGNORED = new Set([
  'module-types',
  'resource-types',
  'parameters-metadata',
  'properties-metadata',
  'includes',
  'build-parameters',
  'extension-descriptor',
  'license',
]);

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Notes by topic, each thing once, in the order met. */
export class Notes {
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
