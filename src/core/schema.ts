/**
 * One definition of each entity's fields (Kong's `kong/db/schema/entities/*.lua` in miniature):
 * types, defaults and ranges written once and used by the commands, the admin API, the YAML
 * loader and the state file alike. This module is the door; the rooms are in `schema/`: the
 * field language (`field.ts`), the checks entities share (`checks.ts`), Kong's entities
 * (`kong.ts`, with `healthchecks.ts` and `hashing.ts`), Kf's apps and MTA deployments
 * (`apps.ts`), and the validator (`validate.ts`).
 */
export type { Field, Schema, ValueOf, Created, Updated } from './schema/field.js';
export {
  hostKind,
  canonicalIpv6,
  parseAddress,
  formatHostPort,
  checkName,
  isHostname,
  parseHostPort,
} from './schema/checks.js';
export { healthchecksSchema } from './schema/healthchecks.js';
export {
  HASH_ON,
  type HashOn,
  hashingSchema,
  HASHING_FIELDS,
  type Hashing,
  ALGORITHMS,
  type Algorithm,
  NO_HASHING,
  hashingOf,
  checkHashing,
} from './schema/hashing.js';
export {
  targetSchema,
  checkServiceProtocol,
  overTls,
  upstreamSchema,
  splitEntrySchema,
  serviceSchema,
  routeSchema,
} from './schema/kong.js';
export { checkAppName, checkMtaId, appNameFrom, appSchema, deploymentSchema } from './schema/apps.js';
export { validate } from './schema/validate.js';
