/**
 * The design system's building blocks: page headers, cards, badges, buttons, form fields,
 * tabs and the three states every view has (loading, empty, error). Styles in `styles.css`.
 *
 * @example <Badge tone="good">Verified</Badge>
 */
import { useId, type ReactNode, type InputHTMLAttributes, type SelectHTMLAttributes } from 'react';
import { describeError } from '../api/client';
import type { Resource } from './resource';
import { href } from './router';
import { useCurrentInView } from './scroll-current';
import './tabs.css';

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'muted' | 'neutral';

export function Badge({
  tone,
  children,
  title,
}: {
  tone: Tone;
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} {...(title === undefined ? {} : { title })}>
      {children}
    </span>
  );
}

export function PageHeader({
  title,
  subtitle,
  actions,
  back,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  back?: { to: string; label: string };
}) {
  return (
    <header className="page-header">
      <div>
        {back && (
          <a className="back-link" href={href(back.to)}>
            ← {back.label}
          </a>
        )}
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title !== undefined || actions !== undefined) && (
        <div className="card-header">
          {title !== undefined && <h2>{title}</h2>}
          {actions !== undefined && <div className="card-actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children && <div className="state-body">{children}</div>}
      {action && <div className="state-action">{action}</div>}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">Something went wrong</p>
      <p className="state-body">{describeError(error)}</p>
      {retry && (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * Renders a resource: a spinner while the first load runs, the error with a retry, else the
 * content (a reload keeps showing the last data).
 */
export function Loaded<T>({
  resource,
  retry,
  children,
  label,
}: {
  resource: Resource<T>;
  retry?: () => void;
  children: (data: T) => ReactNode;
  label?: string;
}) {
  if (resource.data !== undefined && resource.status !== 'error')
    return <>{children(resource.data)}</>;
  if (resource.status === 'error') {
    return <ErrorState error={resource.error} {...(retry ? { retry } : {})} />;
  }
  return <Spinner {...(label === undefined ? {} : { label })} />;
}

export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (props: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
  }) => ReactNode;
}) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(error ? { 'aria-invalid': true } : {}),
      })}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : (
        hint && (
          <p className="field-hint" id={`${id}-hint`}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}

export function TextField({
  label,
  hint,
  error,
  value,
  onChange,
  ...rest
}: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) => (
        <input
          {...rest}
          {...props}
          value={value}
          onChange={(event) => {
            onChange(event.target.value);
          }}
        />
      )}
    </Field>
  );
}

export function SelectField({
  label,
  hint,
  error,
  value,
  onChange,
  options,
  ...rest
}: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
} & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'>) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) => (
        <select
          {...rest}
          {...props}
          value={value}
          onChange={(event) => {
            onChange(event.target.value);
          }}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Tabs({
  tabs,
  current,
  base,
}: {
  tabs: readonly { id: string; label: string }[];
  current: string;
  base: string;
}) {
  const ref = useCurrentInView<HTMLElement>(current);
  return (
    <nav className="tabs" aria-label="Sections" ref={ref}>
      {tabs.map((tab) => (
        <a
          key={tab.id}
          href={href(`${base}/${tab.id}`)}
          className={tab.id === current ? 'tab tab-current' : 'tab'}
          {...(tab.id === current ? { 'aria-current': 'page' as const } : {})}
        >
          {tab.label}
        </a>
      ))}
    </nav>
  );
}

/** A label/value list (`<dl>`) for facts about one thing. */
export function Facts({ facts }: { facts: readonly [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Stat({
  label,
  value,
  detail,
  tone,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  tone?: Tone | undefined;
}) {
  return (
    <div className={`stat ${tone ? `stat-${tone}` : ''}`}>
      <p className="stat-label">{label}</p>
      <p className="stat-value">{value}</p>
      {detail !== undefined && <p className="stat-detail">{detail}</p>}
    </div>
  );
}

/** Short labels (e.g. Duo groups) as tags; "None" when empty. */
export function Tags({ values }: { values: readonly string[] }) {
  if (values.length === 0) return <span className="muted">None</span>;
  return (
    <span className="tags">
      {values.map((value) => (
        <span key={value} className="tag">
          {value}
        </span>
      ))}
    </span>
  );
}

/** A horizontal bar showing a share from 0 to 1. */
export function Meter({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.min(Math.max(value, 0), 1) * 100);
  return (
    <div
      className="meter"
      role="progressbar"
      aria-label={label}
      aria-valuenow={pct}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <div className="meter-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
