/**
 * An administrator action in a table beside its Administrator column: what was done to which
 * object, then the description's fields.
 */
import type { AdminActionWords } from './admin-actions';
import './admin-actions.css';

export function AdminActionText({ words }: { words: AdminActionWords }) {
  return (
    <span className="admin-action">
      <span className="admin-action-what">{capitalise(words.what)}</span>
      {words.details.length > 0 && (
        <span className="admin-action-details">{words.details.join(' · ')}</span>
      )}
    </span>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
