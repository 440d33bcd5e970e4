/**
 * The one store. Every surface (keys, CLI via the admin API, YAML, the deploy engine) changes
 * state only through `dispatch`, which runs a pure command, persists the result, compiles a new
 * routing table and swaps it in, in that order and synchronously: when `dispatch` returns, the
 * very next request is routed by the new table. A command that fails changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { execute, type Command, type Outcome } from './commands.js';
import { SwitchyardError } from './errors.js';
import { emptyState, type Context, type State } from './model.js';
import { compile, type RoutingTable } from './table.js';
import { revert } from './undo.js';

export interface Change {
  readonly version: number;
  readonly command: Command | { readonly op: 'undo' };
  readonly summary: string;
  readonly state: State;
  /** Who made it: 'admin', 'ui', 'config', … (for logs). */
  readonly source: string;
}

export interface StoreOptions {
  readonly initial?: State;
  /** Called with the new state before it takes effect; throwing rejects the change. */
  readonly persist?: (state: State) => void;
  /** Called with each new table before it is swapped in (the data plane attaches its objects). */
  readonly onCompile?: (table: RoutingTable) => void;
  readonly now?: () => number;
  readonly newId?: () => string;
  /** Refuse every change (`--readonly`). */
  readonly readonly?: boolean;
  /** How many previous states `undo` can go back. @default 100 */
  readonly historySize?: number;
}

type Listener = (change: Change) => void;

export class Store {
  private current: State;
  private compiled: RoutingTable;
  private version = 0;
  private readonly listeners = new Set<Listener>();
  private readonly compileHooks: ((table: RoutingTable) => void)[] = [];
  private readonly guards: ((table: RoutingTable) => string | null)[] = [];
  /** The operator's changes, oldest first: what each found and what it left. */
  private readonly history: { before: State; after: State; summary: string }[] = [];
  private readonly ctx: () => Context;

  constructor(private readonly options: StoreOptions = {}) {
    this.current = options.initial ?? emptyState;
    const now = options.now ?? (() => Math.floor(Date.now() / 1000));
    const newId = options.newId ?? randomUUID;
    this.ctx = () => ({ now: now(), newId });
    if (options.onCompile) this.compileHooks.push(options.onCompile);
    this.compiled = compile(this.current, 0);
  }

  get state(): State {
    return this.current;
  }

  /** The routing table in force; read it once per request. */
  get table(): RoutingTable {
    return this.compiled;
  }

  get readonly(): boolean {
    return this.options.readonly === true;
  }

  /**
   * A data plane that cannot carry every table (HAProxy has no word for some balancing) says why
   * for a new one; an operator's change it cannot carry is refused, nothing changed. The
   * supervisor's and deployer's bookkeeping (`system`) is not judged: it only moves targets.
   */
  guard(check: (table: RoutingTable) => string | null): () => void {
    this.guards.push(check);
    return () => {
      const i = this.guards.indexOf(check);
      if (i !== -1) this.guards.splice(i, 1);
    };
  }

  /** Registers a data plane: it sees the current table now and every new one before it is swapped in. */
  attach(hook: (table: RoutingTable) => void): () => void {
    this.compileHooks.push(hook);
    hook(this.compiled);
    return () => {
      const i = this.compileHooks.indexOf(hook);
      if (i !== -1) this.compileHooks.splice(i, 1);
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs a command. Returns its outcome, or throws a SwitchyardError with the state untouched.
   * `system`: the supervisor's bookkeeping (instances coming and going), which runs even when
   * read-only. `undoable: false`: a step of the deployer, which `undo` never takes back (abort
   * does). Either way the change is not in the operator's history.
   */
  dispatch(command: Command, source = 'api', opts: { readonly system?: boolean; readonly undoable?: boolean } = {}): Outcome {
    if (this.readonly && !opts.system) throw new SwitchyardError('invalid', 'switchyard is read-only (--readonly): changes are refused');
    const outcome = execute(this.current, command, this.ctx());
    this.commit(outcome.state, command, outcome.summary, source, !opts.system && opts.undoable !== false, !opts.system);
    return outcome;
  }

  get canUndo(): boolean {
    return this.history.length > 0;
  }

  /**
   * Takes back the operator's last change (see undo.ts): what it touched goes back to what it
   * was, what changed elsewhere since stays. Refused, with the reason and nothing changed, when a
   * deployment changed since.
   */
  undo(source = 'api'): Outcome {
    if (this.readonly) throw new SwitchyardError('invalid', 'switchyard is read-only (--readonly): changes are refused');
    const last = this.history[this.history.length - 1];
    if (!last) throw new SwitchyardError('invalid', 'nothing to undo');
    const next = revert(this.current, last.before, last.after, last.summary);
    this.history.pop();
    const summary = `undid "${last.summary}"`;
    this.commit(next, { op: 'undo' }, summary, source, false);
    return { state: next, summary };
  }

  private commit(next: State, command: Change['command'], summary: string, source: string, record = true, guarded = true): void {
    if (next === this.current) return;
    const table = compile(next, this.version + 1, this.compiled);
    if (guarded) {
      for (const check of this.guards) {
        const why = check(table);
        if (why) throw new SwitchyardError('invalid', `${summary}: ${why}. Nothing changed`);
      }
    }
    this.options.persist?.(next);
    for (const hook of this.compileHooks) hook(table);
    if (record) {
      this.history.push({ before: this.current, after: next, summary });
      if (this.history.length > (this.options.historySize ?? 100)) this.history.shift();
    }
    this.current = next;
    this.compiled = table;
    this.version = table.version;
    const change: Change = { version: this.version, command, summary, state: next, source };
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A failing listener (a UI, a logger) must not undo or block a change already in force.
      }
    }
  }
}
