/**
 * What reading one module of a descriptor shares with the whole read: where problems and notes
 * go, what the other modules and resources provide, the routes already taken.
 */
import type { FieldErrors } from '../core/errors.js';
import type { Notes, Obj } from './descriptor.js';
import type { Lookup } from './placeholders.js';

/** What a module or resource provides to the modules that require it. */
export interface Group {
  readonly props: Obj;
  /** Who provides it, for messages: `module NAME` or `resource NAME`. */
  readonly from: string;
}

export interface ReadContext {
  readonly problems: FieldErrors;
  readonly notes: Notes;
  /** The descriptor's directory: module paths are relative to it. */
  readonly dir: string;
  /** A real MTA descriptor (it has `_schema-version`), not switchyard's short form. */
  readonly mta: boolean;
  readonly groups: ReadonlyMap<string, Group>;
  /** Routes taken so far, and the module that took each. */
  readonly seenRoutes: Map<string, string>;
  readonly unusedRequires: string[];
  readonly noStart: string[];
}

/** A module whose name and app name are settled, waiting to be read. */
export interface PendingModule {
  /** Its path in the descriptor, e.g. `modules[0]`. */
  readonly at: string;
  readonly m: Obj;
  readonly name: string;
  readonly app: string;
  readonly params: Obj;
  readonly lookup: Lookup;
}

/** A module's parameter `k`, placeholders resolved (undefined when not given). */
export type Param = (k: string) => unknown;
