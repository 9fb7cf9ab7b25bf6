/**
 * The colour theme: System (follows `prefers-color-scheme`), Light or Dark, remembered in
 * localStorage under `duo-insights-theme`. `public/assets/theme.js` applies a remembered choice
 * before the first paint (`data-theme` on `<html>`, which styles.css reads); this module
 * changes it, and tells what is drawn by script (the activity chart) which theme shows.
 *
 * @example const [choice, setChoice] = useThemeChoice(); const theme = useTheme();
 */
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'duo-insights-theme';

const listeners = new Set<() => void>();
let choice: ThemeChoice = readChoice();
let watching = false;

function readChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

function darkQuery(): MediaQueryList {
  return window.matchMedia('(prefers-color-scheme: dark)');
}

function apply(): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = choice;
}

function emit(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!watching) {
    watching = true;
    // The system's theme changes (System follows it), or another tab chose one.
    darkQuery().addEventListener('change', emit);
    window.addEventListener('storage', (event) => {
      if (event.key !== THEME_KEY && event.key !== null) return;
      choice = readChoice();
      apply();
      emit();
    });
  }
  return () => {
    listeners.delete(listener);
  };
}

export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, next);
  } catch {
    // Not remembered: it still applies to this page.
  }
  apply();
  emit();
}

/** The theme showing: the choice, or the system's when the choice is System. */
export function currentTheme(): Theme {
  if (choice !== 'system') return choice;
  return darkQuery().matches ? 'dark' : 'light';
}

export function useThemeChoice(): [ThemeChoice, (next: ThemeChoice) => void] {
  const value = useSyncExternalStore(subscribe, () => choice);
  return [value, setThemeChoice];
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, currentTheme);
}
