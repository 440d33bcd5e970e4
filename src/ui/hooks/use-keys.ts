/**
 * Keyboard wiring only. One input handler, stable for the life of the app, routes each key by
 * what is open (panes, a dialog, the help) using the context of the last render:
 *
 * - Ink subscribes `useInput` handlers in a passive effect, so swapping handlers (or `isActive`)
 *   on each state change leaves a gap in which a fast key reaches the previous handler.
 * - React commits a little after the key, so keys that arrive together (a paste, `0⏎`) would all
 *   see the state from before the first: the UI state is also advanced here, through the same
 *   reducer, as each key dispatches, and a burst of characters is taken one key at a time.
 */
import { useCallback, useLayoutEffect, useRef } from 'react';
import { useInput, type Key } from 'ink';
import { handleKey, type ActionContext } from '../actions.js';
import { splitKeys } from '../keymap.js';
import { uiReducer, type UiAction } from './use-app-state.js';

export function useKeys(context: ActionContext): void {
  const latest = useRef(context);
  useLayoutEffect(() => {
    latest.current = context;
  });
  const onInput = useCallback((input: string, key: Key) => {
    for (const [one, k] of splitKeys(input, key)) {
      const now = latest.current;
      const dispatch = (a: UiAction) => {
        latest.current = { ...latest.current, ui: uiReducer(latest.current.ui, a) };
        now.dispatch(a);
      };
      handleKey({ ...now, dispatch }, one, k);
    }
  }, []);
  useInput(onInput);
}
