/** The store's state, re-read on every change whoever made it (keys, admin API, CLI). */
import { useCallback, useSyncExternalStore } from 'react';
import type { State } from '../../core/model.js';
import type { Store } from '../../core/store.js';

export function useStoreState(store: Store): State {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const off = store.subscribe(() => onChange());
      return () => {
        off();
      };
    },
    [store],
  );
  const get = useCallback(() => store.state, [store]);
  return useSyncExternalStore(subscribe, get);
}
