/**
 * Keeps the current item of a row that scrolls sideways (the tabs on a phone) in view, and
 * marks the row's ends that have more to scroll to (`data-more-before`, `data-more-after`) so
 * that its CSS can fade them.
 *
 * @example const ref = useCurrentInView<HTMLElement>(current); <nav ref={ref}>…</nav>
 */
import { useLayoutEffect, useRef } from 'react';

export function useCurrentInView<T extends HTMLElement>(current: string) {
  const ref = useRef<T>(null);
  useLayoutEffect(() => {
    const row = ref.current;
    if (!row) return;
    const mark = () => {
      row.dataset['moreBefore'] = String(row.scrollLeft > 1);
      row.dataset['moreAfter'] = String(row.scrollLeft + row.clientWidth < row.scrollWidth - 1);
    };
    const item = row.querySelector<HTMLElement>('[aria-current="page"]');
    if (item) {
      const box = row.getBoundingClientRect();
      const place = item.getBoundingClientRect();
      if (place.left < box.left || place.right > box.right)
        row.scrollLeft += place.left - box.left - (box.width - place.width) / 2;
    }
    mark();
    row.addEventListener('scroll', mark, { passive: true });
    const observer = new ResizeObserver(mark);
    observer.observe(row);
    return () => {
      row.removeEventListener('scroll', mark);
      observer.disconnect();
    };
  }, [current]);
  return ref;
}
