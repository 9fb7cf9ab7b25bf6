/**
 * Where keyboard focus goes when the console opens another page: a screen-reader or keyboard user
 * lands on the new page's heading (`<h1>`, made focusable) instead of the page's body, which is
 * where the browser leaves focus once the link that had it is gone. A source's, the reports' or
 * the settings' tabs keep focus on the current tab, so moving along them with Tab goes on from
 * there; a field of the page that keeps focus (a search box filtering as one types) keeps it.
 *
 * @example usePageFocus(pathname); // in the shell, once
 */
import { useEffect, useRef } from 'react';
import './focus.css';

/** How long a page may take to show its heading (its data loading) before focus stops waiting. */
const WAIT_MS = 10_000;

/** Focus that a page change has not taken from the user: on a control still on the page. */
function keptByUser(main: HTMLElement): boolean {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || active === document.body || active === main) return false;
  if (!active.isConnected) return false;
  // A link of the main navigation opened the page; its heading is where reading goes on.
  return active.closest('nav[aria-label="Main"]') === null && !active.matches('.tab');
}

/** Focuses the page's heading (or the current tab, when a tab was followed); true once done. */
function focusPage(main: HTMLElement, fromTab: boolean): boolean {
  if (keptByUser(main)) return true;
  const tab = fromTab ? main.querySelector<HTMLElement>('.tabs [aria-current="page"]') : null;
  if (tab) {
    tab.focus();
    return true;
  }
  const heading = main.querySelector<HTMLElement>('h1');
  if (!heading) return false;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
  return true;
}

/** Whether anything had focus since the console loaded, and whether the last was a tab. */
let focusedBefore = false;
let lastWasTab = false;
document.addEventListener('focusin', (event) => {
  focusedBefore = true;
  lastWasTab = event.target instanceof Element && event.target.matches('.tab');
});

/**
 * Moves focus to the heading of the page at `path` whenever `path` changes. A page just loaded
 * (nothing focused yet) keeps the browser's start, so the first Tab reaches the skip link.
 */
export function usePageFocus(path: string): void {
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main || !focusedBefore) return;
    const fromTab = lastWasTab;
    if (focusPage(main, fromTab)) return;
    // The page shows a spinner until its data comes: focus its heading when it appears.
    const observer = new MutationObserver(() => {
      if (focusPage(main, fromTab)) stop();
    });
    const timer = window.setTimeout(stop, WAIT_MS);
    function stop() {
      observer.disconnect();
      window.clearTimeout(timer);
    }
    observer.observe(main, { childList: true, subtree: true });
    return stop;
  }, [path]);
}

/** The skip link's target: the page's heading, else the main region. */
export function skipToContent(): void {
  const main = document.getElementById('main');
  if (!main) return;
  const heading = main.querySelector<HTMLElement>('h1');
  const target = heading ?? main;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus();
}

/**
 * A wizard's step: when `step` changes and focus was lost with the button that changed it
 * (Continue, Back), focus goes to the new step's heading, else its chosen or first field.
 */
export function useStepFocus(step: number, selector: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const container = document.querySelector<HTMLElement>(selector);
    const main = document.getElementById('main');
    if (!container || !main || keptByUser(main)) return;
    const heading = container.querySelector<HTMLElement>('h2');
    const target =
      heading ??
      container.querySelector<HTMLElement>('input:checked') ??
      container.querySelector<HTMLElement>('input, select, textarea');
    if (!target) return;
    if (target === heading && !heading.hasAttribute('tabindex'))
      heading.setAttribute('tabindex', '-1');
    target.focus();
  }, [step, selector]);
}
