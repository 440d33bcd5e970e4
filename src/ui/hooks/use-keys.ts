/**
 * Keyboard wiring only. One input handler, stable for the life of the app, turns each key into
 * intents (key-intent.ts, pure) from the context of the last render and has perform.ts do them:
 *
 * - Ink subscribes `useInput` handlers in a passive effect, so swapping handlers (or `isActive`)
 *   on each state change leaves a gap in which a fast key reaches the previous handler.
 * - React commits a little after the key, so keys that arrive together (a paste, `0⏎`) would all
 *   see the state from before the first: the UI state is also advanced here, through the same
 *   reducer, as each key dispatches, and a burst of characters is taken one key at a time.
 */
import { useCallback, useLayoutEffect, useRef } from 'react';
import { useInput, type Key } from 'ink';
import type { KeyView } from '../intent.js';
import { keyIntents } from '../key-intent.js';
import { splitKeys } from '../key-events.js';
import { perform, type Effects } from '../perform.js';
import { uiReducer, type UiAction, type UiState } from './use-app-state.js';

/** Everything a key may need, as of the last render: what it reads and what it acts on. */
export interface KeysContext
  extends Effects, Omit<KeyView, 'state' | 'canUndo' | 'deployer' | 'fleet' | 'traffic'> {
  readonly ui: UiState;
}

function viewOf(c: KeysContext): KeyView {
  return {
    ...c,
    state: c.store.state,
    canUndo: c.store.canUndo,
    deployer: c.deployer !== undefined,
    fleet: c.fleet !== undefined,
    traffic: c.traffic ? { rate: c.traffic.rate, maxRate: c.traffic.maxRate } : undefined,
  };
}

export function useKeys(context: KeysContext): void {
  const latest = useRef(context);
  // Only when something in it changed: a layout effect that runs on every render would make every
  // render commit, and Ink draw a frame, even one in which nothing on screen changed.
  const { store, dispatch, deployer, fleet, traffic, onRate, quit, ui } = context;
  const { services, targets, apps, deployments, panes, helpOverflow, logOverflow } = context;
  useLayoutEffect(() => {
    latest.current = {
      store,
      dispatch,
      deployer,
      fleet,
      traffic,
      onRate,
      quit,
      ui,
      services,
      targets,
      apps,
      deployments,
      panes,
      helpOverflow,
      logOverflow,
    };
  }, [store, dispatch, deployer, fleet, traffic, onRate, quit, ui, services, targets, apps, deployments, panes, helpOverflow, logOverflow]);
  const onInput = useCallback((input: string, key: Key) => {
    for (const [one, k] of splitKeys(input, key)) {
      const now = latest.current;
      const dispatch = (a: UiAction) => {
        latest.current = { ...latest.current, ui: uiReducer(latest.current.ui, a) };
        now.dispatch(a);
      };
      const c = { ...now, dispatch };
      perform(c, keyIntents(viewOf(c), one, k));
    }
  }, []);
  useInput(onInput);
}
