/**
 * The compiled routing table: an immutable snapshot of the state shaped for the request path.
 * The store builds one after every change and swaps a single reference; a data plane (the
 * in-process proxy today, HAProxy later) reads that reference once per request. This module is
 * the door; the rooms are in `table/`: the table's shape (`entries.ts`), compiling it
 * (`compile.ts`), the route lookup (`match.ts`) and the balancer picks (`pick.ts`).
 */
export {
  newHealth,
  type TargetEntry,
  type TargetHealth,
  type UpstreamEntry,
  type ServiceEntry,
  type RouteEntry,
  type HeaderRule,
  type Candidate,
  type WildcardCandidate,
  type RoutingTable,
  type Candidates,
} from './table/entries.js';
export { compile } from './table/compile.js';
export {
  match,
  matchHost,
  upstreamUrl,
  upstreamPath,
  type HeaderSource,
  type MatchOut,
} from './table/match.js';
export { tableHealth, pickUpstream, pickTarget, attemptStarted, attemptEnded } from './table/pick.js';
