/**
 * Loading state of one API read: `loading`, `error` (with the message shown to the user) or
 * `ready`. `reload()` fetches again; `refresh()` does it without showing a spinner (polling).
 *
 * @example const sources = useResource(() => listSources(api), []);
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import type { Page } from '../api/shapes';

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
  // The caller names the dependencies of `load`, as with useCallback.
  const loader = useCallback(load, deps);
  // Each answer is kept with the loader that asked for it: when the dependencies change (another
  // id in the path), the previous answer is never shown as the new one's, and an answer that
  // arrives for a loader no longer current is dropped.
  const [held, setHeld] = useState<{ for: unknown; state: Resource<T> }>({
    for: loader,
    state: { status: 'loading', data: undefined },
  });
  const [version, setVersion] = useState(0);
  const quiet = useRef(false);

  useEffect(() => {
    let live = true;
    const update = (next: (previous: T | undefined) => Resource<T>) => {
      setHeld((h) => ({ for: loader, state: next(h.for === loader ? h.state.data : undefined) }));
    };
    if (!quiet.current) update((data) => ({ status: 'loading', data }));
    quiet.current = false;
    loader().then(
      (data) => {
        if (live) update(() => ({ status: 'ready', data }));
      },
      (error: unknown) => {
        if (live) update((data) => ({ status: 'error', error, data }));
      },
    );
    return () => {
      live = false;
    };
  }, [loader, version]);

  const state: Resource<T> =
    held.for === loader ? held.state : { status: 'loading', data: undefined };
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

export interface PagedList<T> {
  readonly rows: readonly T[];
  readonly state: 'loading' | 'ready' | { readonly error: unknown };
  /** Whether another page follows. */
  readonly hasMore: boolean;
  /** Appends the next page. */
  readonly more: () => Promise<void>;
}

/**
 * A list read a page at a time with "Load more": the first page on mount, then `more()`.
 *
 * @example const audit = usePagedList((cursor) => listAudit(api, cursor), [api]);
 */
export function usePagedList<T>(
  load: (cursor?: string) => Promise<Page<T>>,
  deps: DependencyList,
): PagedList<T> {
  const [rows, setRows] = useState<T[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [state, setState] = useState<PagedList<T>['state']>('loading');
  // The caller names the dependencies of `load`, as with useCallback.
  const loader = useCallback(load, deps);
  // A page that arrives for a loader no longer current (another id in the path) is dropped.
  const current = useRef(loader);
  current.current = loader;
  useEffect(() => {
    let live = true;
    setRows([]);
    setNext(undefined);
    setState('loading');
    loader().then(
      (page) => {
        if (!live) return;
        setRows(page.items);
        setNext(page.next);
        setState('ready');
      },
      (error: unknown) => {
        if (live) setState({ error });
      },
    );
    return () => {
      live = false;
    };
  }, [loader]);
  const more = async (): Promise<void> => {
    if (!next) return;
    const asked = loader;
    const page = await asked(next);
    if (current.current !== asked) return;
    setRows((list) => [...list, ...page.items]);
    setNext(page.next);
  };
  return { rows, state, hasMore: next !== undefined, more };
}
