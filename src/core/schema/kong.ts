/**
 * Kong's entities as switchyard has them (kong/db/schema/entities/*.lua in miniature): targets,
 * upstreams, services, routes, and the Kong fields switchyard accepts only at Kong's default.
 */
import { checkHeaderName, checkHeaderValue, checkRoutePath } from '../router.js';
import { type Schema } from './field.js';
import {
  checkHost,
  checkName,
  checkPath,
  checkRouteHost,
  checkTarget,
  common,
  hostKind,
  isHostname,
} from './checks.js';
import { ALGORITHMS, hashingSchema } from './hashing.js';
import { healthchecksSchema } from './healthchecks.js';

export const targetSchema = {
  ...common,
  target: { type: 'string', required: true, check: checkTarget },
  weight: { type: 'integer', between: [0, 65535], default: 100 },
  upstream: { type: 'record', fields: { id: { type: 'string' }, name: { type: 'string' } }, nullable: true },
} as const satisfies Schema;

/**
 * Kong's protocols that switchyard does not proxy: named in the refusal, rather than a bare
 * "expected one of", so a Kong config that uses them says what is missing.
 */
const KONG_OTHER_PROTOCOLS = new Set(['grpc', 'grpcs', 'tcp', 'tls', 'tls_passthrough', 'udp']);

/**
 * Kong's service protocols, as far as switchyard goes: http and https, and Kong's WebSocket
 * services `ws` and `wss`, which it proxies as http and https (it passes WebSocket upgrades on
 * every service; plain requests too, where Kong's would refuse them).
 */
export function checkServiceProtocol(v: string): string | undefined {
  if (v === 'http' || v === 'https' || v === 'ws' || v === 'wss') return undefined;
  if (KONG_OTHER_PROTOCOLS.has(v))
    return `protocol '${v}' is not supported: switchyard proxies http and https (and ws, wss as them)`;
  return `expected one of: http, https, ws, wss (got '${v}')`;
}

/** Whether a service's targets are reached over TLS. */
export function overTls(protocol: string): boolean {
  return protocol === 'https' || protocol === 'wss';
}

/** Kong's upstream name: a hostname, never an IP address (kong/db/schema/entities/upstreams.lua). */
function checkUpstreamName(v: string): string | undefined {
  if (!isHostname(v)) return `Invalid name ('${v}'); must be a valid hostname`;
  if (hostKind(v) !== 'name') return `Invalid name ('${v}'); no ip addresses allowed`;
  return undefined;
}

export const upstreamSchema = {
  ...common,
  name: { type: 'string', required: true, check: checkUpstreamName },
  algorithm: { type: 'string', oneOf: ALGORITHMS, default: 'round-robin' },
  ...hashingSchema,
  slots: { type: 'integer', between: [10, 65536], default: 10000 },
  host_header: { type: 'string', nullable: true, default: null, check: checkHost },
  healthchecks: { type: 'record', filled: true, fields: healthchecksSchema },
  targets: {
    type: 'array',
    elements: {
      type: 'record',
      fields: {
        target: targetSchema.target,
        weight: targetSchema.weight,
        tags: common.tags,
        id: common.id,
        created_at: common.created_at,
        // switchyard's extension: the operator's health verdict, saved with the state.
        manual_health: {
          type: 'record',
          nullable: true,
          fields: {
            verdict: { type: 'string', required: true, oneOf: ['healthy', 'unhealthy'] },
            seq: { type: 'integer', required: true, between: [1, 2 ** 31] },
          },
        },
      },
    },
  },
} as const satisfies Schema;

export const splitEntrySchema = {
  name: { type: 'string', required: true },
  weight: { type: 'integer', between: [0, 65535], default: 100 },
} as const satisfies Schema;

export const serviceSchema = {
  ...common,
  name: { type: 'string', nullable: true, default: null, check: checkName },
  protocol: {
    type: 'string',
    oneOf: ['http', 'https', 'ws', 'wss'],
    default: 'http',
    check: checkServiceProtocol,
  },
  host: { type: 'string', check: checkHost },
  port: { type: 'integer', between: [0, 65535], default: 80 },
  path: { type: 'string', nullable: true, default: null, check: checkPath },
  retries: { type: 'integer', between: [0, 32767], default: 5 },
  connect_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  write_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  read_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  enabled: { type: 'boolean', default: true },
  url: { type: 'string' },
  /**
   * Verify the upstream's certificate (protocol https only). null is Kong's default
   * (`proxy_ssl_verify off`): not verified; true checks it against the system CAs and any CA
   * switchyard was given (`--upstream-ca`).
   */
  tls_verify: { type: 'boolean', nullable: true, default: null },
  tls_verify_depth: { type: 'integer', between: [0, 64], nullable: true, default: null },
  upstreams: { type: 'array', elements: { type: 'record', fields: splitEntrySchema }, maxItems: 64 },
  /** switchyard's extension: Kong's upstream hashing fields, making the split over `upstreams` sticky. */
  ...hashingSchema,
} as const satisfies Schema;

export const routeSchema = {
  ...common,
  name: { type: 'string', nullable: true, default: null, check: checkName },
  protocols: {
    type: 'array',
    elements: { type: 'string', oneOf: ['http', 'https'] },
    default: ['http', 'https'],
    minItems: 1,
  },
  // Without `http` in protocols, a plain-HTTP request is answered with this: 426, or a redirect to https.
  https_redirect_status_code: {
    type: 'integer',
    between: [301, 426],
    oneOf: [426, 301, 302, 307, 308],
    default: 426,
  },
  methods: {
    type: 'array',
    elements: { type: 'string', check: (v) => (/^[A-Z]+$/.test(v) ? undefined : 'invalid method') },
    nullable: true,
  },
  hosts: {
    type: 'array',
    elements: { type: 'string', check: checkRouteHost },
    nullable: true,
    maxItems: 256,
  },
  paths: {
    type: 'array',
    elements: { type: 'string', check: checkRoutePath },
    nullable: true,
    maxItems: 256,
  },
  headers: {
    type: 'multimap',
    key: checkHeaderName,
    value: checkHeaderValue,
    nullable: true,
    default: null,
    maxItems: 255,
  },
  regex_priority: { type: 'integer', between: [-(2 ** 31), 2 ** 31 - 1], default: 0 },
  path_handling: { type: 'string', oneOf: ['v0', 'v1'], default: 'v0' },
  strip_path: { type: 'boolean', default: true },
  preserve_host: { type: 'boolean', default: false },
  service: { type: 'record', fields: { id: { type: 'string' }, name: { type: 'string' } }, nullable: true },
} as const satisfies Schema;

/**
 * Fields of Kong's entities that switchyard does not implement, with Kong's defaults: accepted at
 * those values (so Kong's own exports load), refused at any other.
 */
export const KONG_ONLY = new Map<Schema, Readonly<Record<string, unknown>>>([
  [serviceSchema, { ca_certificates: null, client_certificate: null }],
  [
    routeSchema,
    {
      request_buffering: true,
      response_buffering: true,
      snis: null,
      sources: null,
      destinations: null,
    },
  ],
  [
    upstreamSchema,
    {
      use_srv_name: false,
      client_certificate: null,
    },
  ],
]);

/** Why a Kong-only field cannot take another value, where "not supported" is not enough. */
export const KONG_ONLY_WHY: Readonly<Record<string, string>> = {
  ca_certificates:
    "switchyard has no Kong certificate entities (/ca_certificates) to reference; leave it empty and trust a CA with switchyard's --upstream-ca FILE",
  client_certificate:
    'switchyard has no Kong certificate entities (/certificates) to reference, and presents no client certificate to upstreams; leave it null',
};
