/**
 * The console's routes are real paths (`/sources/abc` → `['sources', 'abc']`), kept by wouter on
 * the History API, so an address can be shared, bookmarked and reloaded: the server answers every
 * GET outside `/api` with `index.html`. The query string (`?q=…`, a page's filters) is part of the
 * route. `useLinkNavigation()` (mounted once, by the app) makes every plain `<a href="/…">` to a
 * console page navigate without reloading; `redirectHashRoute()` turns an old `#/sources/abc`
 * bookmark into `/sources/abc`.
 *
 * @example const [section, id] = useRoute().segments;
 */
import { useEffect, useMemo, type AnchorHTMLAttributes } from 'react';
import { Link as RouterLink, useLocation, useSearch } from 'wouter';
import { navigate as browserNavigate } from 'wouter/use-browser-location';

export interface Route {
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

function segmentsOf(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

export function useRoute(): Route {
  const [path] = useLocation();
  const search = useSearch();
  return useMemo(
    () => ({ segments: segmentsOf(path), query: new URLSearchParams(search) }),
    [path, search],
  );
}

/** The address of a console page: `href('sources/abc')` → `/sources/abc`. */
export function href(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * Opens a console page without reloading; `replace` changes the current history entry instead
 * of adding one (a filter typed into a page, say).
 */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = href(path);
  if (`${window.location.pathname}${window.location.search}` === target) return;
  const before = window.location.pathname;
  browserNavigate(target, { replace: options.replace ?? false });
  // A new page opens at its top, as a followed link does; Back/Forward restore their own place.
  if (!options.replace && window.location.pathname !== before) window.scrollTo(0, 0);
}

export function Link({
  to,
  children,
  ...rest
}: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  return (
    <RouterLink {...rest} href={href(to)}>
      {children}
    </RouterLink>
  );
}

/** The path an old hash route (`#/sources/abc?x=1`) names, or null for any other hash. */
export function hashRoutePath(hash: string): string | null {
  return hash.startsWith('#/') ? hash.slice(1) : null;
}

/** Replaces an old `#/…` address with the path it names (same history entry). */
export function redirectHashRoute(): void {
  const path = hashRoutePath(window.location.hash);
  if (path !== null) browserNavigate(path, { replace: true });
}

/** An anchor click that should open a console page in place: the path to open, else null. */
function consolePathOf(event: MouseEvent): string | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const anchor = event.target instanceof Element ? event.target.closest('a') : null;
  if (!anchor || anchor.hasAttribute('download')) return null;
  if (anchor.target && anchor.target !== '_self') return null;
  const raw = anchor.getAttribute('href');
  if (raw === null || raw.startsWith('#')) return null;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return null;
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return null;
  return `${url.pathname}${url.search}`;
}

/**
 * Mounted once at the top of the app: plain links to console pages navigate in place (as
 * `Link` does), and an old `#/…` address typed into the bar is redirected to its path.
 */
export function useLinkNavigation(): void {
  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      const path = consolePathOf(event);
      if (path === null) return;
      event.preventDefault();
      navigate(path);
    };
    document.addEventListener('click', onClick);
    window.addEventListener('hashchange', redirectHashRoute);
    return () => {
      document.removeEventListener('click', onClick);
      window.removeEventListener('hashchange', redirectHashRoute);
    };
  }, []);
}
