/**
 * Loading state of one API read: `loading`, `error` (with the message shown to the user) or
 * `ready`. `reload()` fetches again; `refresh()` does it without showing a spinner (polling).
 *
 * @example const sources = useResource(() => listSources(api), []);
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export type Resource<T> =
  | { readonly status: 'loading'; readonly data: T | undefined }
  | { readonly status: 'error'; readonly error: unknown; readonly data: T | undefined }
  | { readonly status: 'ready'; readonly data: T };

export interface ResourceHandle<T> {
  readonly state: Resource<T>;
  readonly reload: () => void;
  readonly refresh: () => void;
}

export function useResource<T>(load: () => Promise<T>, deps: DependencyList): ResourceHandle<T> {
  const [state, setState] = useState<Resource<T>>({ status: 'loading', data: undefined });
  const [version, setVersion] = useState(0);
  const quiet = useRef(false);
  // The caller names the dependencies of `load`, as with useCallback.
  const loader = useCallback(load, deps);

  useEffect(() => {
    let live = true;
    if (!quiet.current) setState((s) => ({ status: 'loading', data: s.data }));
    quiet.current = false;
    loader().then(
      (data) => {
        if (live) setState({ status: 'ready', data });
      },
      (error: unknown) => {
        if (live) setState((s) => ({ status: 'error', error, data: s.data }));
      },
    );
    return () => {
      live = false;
    };
  }, [loader, version]);

  return {
    state,
    reload: useCallback(() => {
      setVersion((v) => v + 1);
    }, []),
    refresh: useCallback(() => {
      quiet.current = true;
      setVersion((v) => v + 1);
    }, []),
  };
}

/** Calls `tick` every `ms` while `active`; stops when the component goes away. */
export function useInterval(tick: () => void, ms: number, active: boolean): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => {
      saved.current();
    }, ms);
    return () => {
      window.clearInterval(timer);
    };
  }, [ms, active]);
}
