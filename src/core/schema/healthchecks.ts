/** Kong's upstream `healthchecks` record, field for field, and the checks only it uses. */
import { type Schema } from './field.js';
import { checkPath, hostKind, isHostname } from './checks.js';

const statuses = (def: readonly number[]) =>
  ({
    type: 'array',
    elements: { type: 'integer', between: [100, 999] },
    default: def,
    maxItems: 32,
  }) as const;
const counter = { type: 'integer', between: [0, 255], default: 0 } as const;
const interval = { type: 'number', between: [0, 65535], default: 0 } as const;

function checkCheckType(v: string): string | undefined {
  if (v === 'grpc' || v === 'grpcs')
    return `type '${v}' is not supported: switchyard checks targets over http, https or tcp`;
  return undefined;
}

/** Kong's `typedefs.sni`: a hostname, not an IP, without a port. */
function checkSni(v: string): string | undefined {
  if (hostKind(v.replace(/^\[|\]$/g, '')) !== 'name') return 'must not be an IP';
  if (/:\d*$/.test(v)) return 'must not have a port';
  return isHostname(v) ? undefined : 'invalid value: ' + v;
}

/** A header a health probe sends: any token name (Host included), one line of value. */
function checkProbeHeaderName(k: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) ? undefined : `invalid header name '${k}'`;
}

function checkProbeHeaderValue(v: string): string | undefined {
  return /[\r\n]/.test(v) ? 'must be one line' : undefined;
}

/** Kong's upstream `healthchecks`, field for field, with Kong's defaults (0 = off). */
export const healthchecksSchema = {
  active: {
    type: 'record',
    filled: true,
    fields: {
      type: { type: 'string', oneOf: ['http', 'https', 'tcp'], default: 'http', check: checkCheckType },
      http_path: { type: 'string', default: '/', check: checkPath },
      /** With `type: https`: the SNI sent (default: the target's host, or the upstream's host_header). */
      https_sni: { type: 'string', nullable: true, default: null, check: checkSni },
      https_verify_certificate: { type: 'boolean', default: true },
      /** Headers sent with each probe: name → values (Kong's `typedefs.headers`). */
      headers: {
        type: 'multimap',
        key: checkProbeHeaderName,
        value: checkProbeHeaderValue,
        nullable: true,
        default: null,
        maxItems: 64,
      },
      timeout: { type: 'number', between: [0, 65535], default: 1 },
      concurrency: { type: 'integer', between: [1, 2 ** 31 - 1], default: 10 },
      healthy: {
        type: 'record',
        filled: true,
        fields: { interval, http_statuses: statuses([200, 302]), successes: counter },
      },
      unhealthy: {
        type: 'record',
        filled: true,
        fields: {
          interval,
          http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
          tcp_failures: counter,
          timeouts: counter,
          http_failures: counter,
        },
      },
    },
  },
  passive: {
    type: 'record',
    filled: true,
    fields: {
      type: { type: 'string', oneOf: ['http', 'https', 'tcp'], default: 'http', check: checkCheckType },
      healthy: {
        type: 'record',
        filled: true,
        fields: {
          http_statuses: statuses([
            200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
          ]),
          successes: counter,
        },
      },
      unhealthy: {
        type: 'record',
        filled: true,
        fields: {
          http_statuses: statuses([429, 500, 503]),
          tcp_failures: counter,
          timeouts: counter,
          http_failures: counter,
        },
      },
    },
  },
  threshold: { type: 'number', between: [0, 100], default: 0 },
} as const satisfies Schema;
