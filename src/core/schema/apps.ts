/** Kf's apps and SAP's MTA deployments: their names and their records in the state. */
import { type Schema } from './field.js';
import { checkPath, checkTarget, common } from './checks.js';

/** Kf's app names: lower-case letters, digits and dashes, starting with a letter (a DNS label). */
export function checkAppName(v: string): string | undefined {
  return /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v)
    ? undefined
    : `invalid app name '${v}': use lower-case letters, digits and '-', starting with a letter (at most 63)`;
}

/** An MTA's ID or module name, as the MTA specification allows it (`a.cf.app`, `mta_demo`). */
export function checkMtaId(v: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(v)
    ? undefined
    : `invalid MTA id '${v}': use letters, digits, '.', '_' and '-' (at most 128)`;
}

/**
 * The app name a module (or an MTA `app-name`) runs as: lower-cased, each run of characters an
 * app name cannot hold ('.', '_', spaces…) made one '-', leading digits and dashes dropped, cut so
 * that `-green` still fits. Null when nothing usable is left.
 */
export function appNameFrom(text: string, room = 57): string | null {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, room)
    .replace(/-+$/, '');
  return checkAppName(name) === undefined ? name : null;
}

export const appSchema = {
  ...common,
  name: { type: 'string', required: true, check: checkAppName },
  state: { type: 'string', oneOf: ['started', 'stopped'], default: 'started' },
  command: {
    type: 'string',
    nullable: true,
    default: null,
    maxLength: 4096,
    check: (v) => (v.trim() ? undefined : 'must not be empty'),
  },
  // '-' and '.' too: Cloud Foundry sets MTA properties such as `m1-user` as they are named.
  env: {
    type: 'map',
    key: (k) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? undefined : `invalid variable name '${k}'`),
    default: {},
  },
  instances: { type: 'integer', between: [1, 64], default: 1 },
  targets: { type: 'array', elements: { type: 'string', check: checkTarget }, nullable: true, maxItems: 256 },
  health_path: { type: 'string', nullable: true, default: null, check: checkPath },
  /** Directory the command runs in (the CLI sends its own, as `kf push` uploads the current one). */
  cwd: {
    type: 'string',
    nullable: true,
    default: null,
    maxLength: 4096,
    check: (v) => (v.startsWith('/') ? undefined : 'must be an absolute path'),
  },
  generation: { type: 'integer', between: [0, 2 ** 31 - 1], default: 1 },
} as const satisfies Schema;

export const deploymentSchema = {
  id: {
    type: 'string',
    required: true,
    check: (v) => (/^[0-9]{1,12}$/.test(v) ? undefined : 'expected a numeric id'),
  },
  mta: { type: 'string', required: true, check: checkMtaId },
  version: { type: 'string', nullable: true, default: null, maxLength: 64 },
  state: {
    type: 'string',
    required: true,
    oneOf: ['deploying', 'pending', 'resuming', 'resumed', 'aborted', 'failed'],
  },
  modules: {
    type: 'array',
    required: true,
    maxItems: 64,
    elements: {
      type: 'record',
      fields: {
        name: { type: 'string', required: true, check: checkMtaId },
        old_app: { type: 'string', nullable: true, default: null, check: checkAppName },
        new_app: { type: 'string', required: true, check: checkAppName },
        routes: { type: 'array', elements: { type: 'string', maxLength: 512 }, default: [] },
        temp_routes: { type: 'array', elements: { type: 'string', maxLength: 512 }, default: [] },
      },
    },
  },
  steps: {
    type: 'array',
    elements: { type: 'integer', between: [0, 100] },
    nullable: true,
    default: null,
    maxItems: 100,
  },
  interval_ms: { type: 'integer', between: [0, 2 ** 31 - 1], nullable: true, default: null },
  max_error_rate: { type: 'number', between: [0, 1], nullable: true, default: null },
  max_p99_ms: { type: 'number', between: [0, 3_600_000], nullable: true, default: null },
  step: { type: 'integer', between: [0, 100], nullable: true, default: null },
  step_started_at: { type: 'integer', between: [0, 2 ** 53 - 1], nullable: true, default: null },
  message: { type: 'string', nullable: true, default: null, maxLength: 4096 },
  created_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  updated_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
} as const satisfies Schema;
