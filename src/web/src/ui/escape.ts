/**
 * A panel opened by a toggle button (`aria-pressed`: a group's members, a user's settings) closes
 * with Escape, as a menu or a dialog does, and focus goes back to the button that opened it.
 * Escape that belongs to something else (an open dialog) is left alone.
 *
 * @example useEscapeToClose(open !== null, () => setOpen(null));
 */
import { useEffect, useRef } from 'react';

/** The toggle with this name once the page has rendered the panel's closing (it may be new). */
function toggleNamed(name: string): HTMLElement | undefined {
  return [...document.querySelectorAll<HTMLElement>('main [aria-pressed]')].find(
    (button) => (button.getAttribute('aria-label') ?? button.textContent) === name,
  );
}

export function useEscapeToClose(isOpen: boolean, close: () => void): void {
  const closeRef = useRef(close);
  closeRef.current = close;
  useEffect(() => {
    if (!isOpen) return;
    const listener = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      if (document.querySelector('dialog[open]')) return;
      const opener = document.querySelector<HTMLElement>('main [aria-pressed="true"]');
      const name = opener ? (opener.getAttribute('aria-label') ?? opener.textContent) : null;
      event.preventDefault();
      closeRef.current();
      // After the page has rendered the panel's closing, which may draw the button anew.
      window.setTimeout(() => {
        if (name !== null) toggleNamed(name)?.focus();
      }, 0);
    };
    document.addEventListener('keydown', listener);
    return () => {
      document.removeEventListener('keydown', listener);
    };
  }, [isOpen]);
}
