/**
 * Toasts: short confirmations and failures in the corner, one at a time (a newer one replaces
 * it), announced to screen readers, dismissed after a few seconds or by their close button.
 *
 * @example toast.success('Source created');
 */
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { describeError } from '../api/client';

interface ToastItem {
  readonly id: number;
  readonly tone: 'good' | 'bad' | 'info';
  readonly text: string;
}

export interface Toaster {
  success(text: string): void;
  info(text: string): void;
  failure(error: unknown, prefix?: string): void;
}

const ToastContext = createContext<Toaster | null>(null);

export function useToast(): Toaster {
  const toaster = useContext(ToastContext);
  if (!toaster) throw new Error('useToast needs a <ToastProvider>');
  return toaster;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastItem[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => {
    setToasts((list) => list.filter((t) => t.id !== id));
  }, []);
  const push = useCallback(
    (tone: ToastItem['tone'], text: string) => {
      const id = nextId.current++;
      // One at a time: a stack of them would cover the page they report on.
      setToasts([{ id, tone, text }]);
      window.setTimeout(
        () => {
          dismiss(id);
        },
        tone === 'bad' ? 9000 : 5000,
      );
    },
    [dismiss],
  );
  const toaster = useMemo<Toaster>(
    () => ({
      success: (text) => {
        push('good', text);
      },
      info: (text) => {
        push('info', text);
      },
      failure: (error, prefix) => {
        push('bad', prefix ? `${prefix}: ${describeError(error)}` : describeError(error));
      },
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className={`toast toast-${toast.tone}`}
            role={toast.tone === 'bad' ? 'alert' : 'status'}
          >
            <span>{toast.text}</span>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss"
              onClick={() => {
                dismiss(toast.id);
              }}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
