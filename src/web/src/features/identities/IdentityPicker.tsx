/**
 * Picks an identity by typing: matches appear after two letters (arrow keys + Enter, or click).
 * When nothing matches, offers to create the identity from what was typed.
 *
 * @example <IdentityPicker label="Source Owner" value={owner} onChange={setOwner} />
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { describeError } from '../../api/client';
import { useApi } from '../auth/session';
import { createIdentity, searchIdentities, type Identity } from './api';

export function IdentityPicker({
  label,
  value,
  onChange,
  error,
  hint,
  allowCreate = true,
}: {
  label: string;
  value: Identity | null;
  onChange: (identity: Identity | null) => void;
  error?: string | undefined;
  hint?: string;
  allowCreate?: boolean;
}) {
  const api = useApi();
  const id = useId();
  const [text, setText] = useState('');
  const [matches, setMatches] = useState<Identity[]>([]);
  const [status, setStatus] = useState<'idle' | 'searching' | 'done' | 'failed'>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const [email, setEmail] = useState('');

  const query = text.trim();
  // Choosing or changing swaps the input for the chosen person (and back): focus follows, as the
  // control that had it is gone.
  const refocus = useRef(false);
  const input = useRef<HTMLInputElement>(null);
  const change = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!refocus.current) return;
    refocus.current = false;
    (value ? change.current : input.current)?.focus();
  }, [value]);
  useEffect(() => {
    if (query.length < 2) {
      setMatches([]);
      setStatus('idle');
      return;
    }
    let live = true;
    setStatus('searching');
    const timer = window.setTimeout(() => {
      searchIdentities(api, query, { limit: 8 }).then(
        (page) => {
          if (!live) return;
          setMatches(page.items);
          setActive(0);
          setStatus('done');
        },
        (failure: unknown) => {
          if (!live) return;
          setProblem(describeError(failure));
          setStatus('failed');
        },
      );
    }, 150);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [api, query]);

  function choose(identity: Identity) {
    refocus.current = true;
    onChange(identity);
    setOpen(false);
    setText('');
    setCreating(false);
  }

  async function create() {
    try {
      const identity = await createIdentity(api, {
        displayName: query,
        ...(email.trim() ? { email: email.trim() } : {}),
      });
      choose(identity);
    } catch (failure) {
      setProblem(describeError(failure));
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      // Before the matches come the first one stays active, never none (-1).
      setActive((i) => Math.max(Math.min(i + 1, matches.length - 1), 0));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === 'Enter') {
      const match = matches[active];
      if (open && match) {
        event.preventDefault();
        choose(match);
      }
    } else if (event.key === 'Escape' && showList) {
      // Closes the list only, not a panel around the picker.
      event.preventDefault();
      setOpen(false);
    }
  }

  if (value) {
    return (
      <div className="field">
        <span className="label" id={`${id}-label`}>
          {label}
        </span>
        <div className="picked" role="group" aria-labelledby={`${id}-label`}>
          <span className="avatar" aria-hidden="true">
            {initials(value.displayName)}
          </span>
          <span>
            <strong>{value.displayName}</strong>
            {value.email && <span className="muted"> · {value.email}</span>}
          </span>
          <button
            ref={change}
            type="button"
            className="button button-small button-ghost"
            onClick={() => {
              refocus.current = true;
              onChange(null);
            }}
          >
            Change
          </button>
        </div>
      </div>
    );
  }

  const listId = `${id}-list`;
  const showList = open && query.length >= 2;
  return (
    <div className={`field picker ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={listId}
        {...(showList && matches[active] ? { 'aria-activedescendant': `${id}-opt-${active}` } : {})}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint`}
        placeholder="Type two letters of a name or e-mail"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
          setCreating(false);
          setProblem(null);
        }}
        onFocus={() => {
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
      />
      <p className={error ? 'field-error' : 'field-hint'} id={`${id}-hint`}>
        {error ?? problem ?? hint ?? 'Matches appear after two letters.'}
      </p>
      {showList && (
        <div className="picker-popup">
          <ul id={listId} role="listbox" aria-label={`${label} matches`}>
            {matches.map((identity, index) => (
              <li
                key={identity.id}
                id={`${id}-opt-${index}`}
                role="option"
                aria-selected={index === active}
                className={index === active ? 'option option-active' : 'option'}
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(identity);
                }}
              >
                <span className="avatar" aria-hidden="true">
                  {initials(identity.displayName)}
                </span>
                <span>
                  {identity.displayName}
                  {identity.email && <span className="muted"> · {identity.email}</span>}
                </span>
              </li>
            ))}
          </ul>
          {status === 'searching' && <p className="picker-note">Searching…</p>}
          {status === 'done' && matches.length === 0 && (
            <div className="picker-note">
              <p>No identity matches “{query}”.</p>
              {allowCreate &&
                (creating ? (
                  <div className="inline-form">
                    <label htmlFor={`${id}-email`}>E-mail of {query} (optional)</label>
                    <input
                      id={`${id}-email`}
                      type="email"
                      value={email}
                      onChange={(event) => {
                        setEmail(event.target.value);
                      }}
                    />
                    <button
                      type="button"
                      className="button button-small button-primary"
                      onClick={() => void create()}
                    >
                      Create identity
                    </button>
                  </div>
                ) : (
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => {
                      setCreating(true);
                    }}
                  >
                    Create identity “{query}”
                  </button>
                ))}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

export function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s._@-]+/)
    .filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}
