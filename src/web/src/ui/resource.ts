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
  useEffect(() => {
    loader().then(
      (page) => {
        setRows(page.items);
        setNext(page.next);
        setState('ready');
      },
      (error: unknown) => {
        setState({ error });
      },
    );
  }, [loader]);
  const more = async (): Promise<void> => {
    if (!next) return;
    const page = await loader(next);
    setRows((list) => [...list, ...page.items]);
    setNext(page.next);
  };
  return { rows, state, hasMore: next !== undefined, more };
}
