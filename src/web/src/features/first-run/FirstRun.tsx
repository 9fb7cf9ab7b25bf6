/** First run (no source yet): connect Duo with the wizard, or start the built-in demo. */
import { useState } from 'react';
import { canManage, useSession } from '../auth/session';
import { href } from '../../ui/router';
import { useToast } from '../../ui/toasts';
import { startDemo } from './api';

export function FirstRun({ onDemoStarted }: { onDemoStarted: () => void }) {
  const { api, user } = useSession();
  const toast = useToast();
  const [busy, setBusy] = useState(false);

  async function demo() {
    setBusy(true);
    try {
      await startDemo(api);
      toast.success('Demo started: two sources are syncing from the built-in Duo simulator.');
      onDemoStarted();
    } catch (error) {
      toast.failure(error, 'The demo could not start');
      setBusy(false);
    }
  }

  return (
    <div className="first-run">
      <h1>Welcome to duo-insights</h1>
      <p className="lead">
        See who uses Duo, how often, with what factor and from where — and whose access is unused.
        Start by connecting your Duo account, or look around with demo data first.
      </p>
      {canManage(user) ? (
        <div className="choice-grid">
          <a className="choice" href={href('/sources/new')}>
            <span className="choice-title">Connect Duo</span>
            <span className="choice-body">
              Create a source with an Admin API application&apos;s integration key, secret key and
              API host. Takes two minutes.
            </span>
            <span className="button button-primary">Create source</span>
          </a>
          <div className="choice">
            <span className="choice-title">Try the demo</span>
            <span className="choice-body">
              Starts a simulated Duo tenant inside this server and connects both sources to it, so
              you see accounts and activity within a minute.
            </span>
            <button
              type="button"
              className="button"
              onClick={() => void demo()}
              disabled={busy || user.role !== 'admin'}
            >
              {busy ? 'Starting the demo…' : 'Start the demo'}
            </button>
            {user.role !== 'admin' && (
              <span className="muted small">An administrator can start the demo.</span>
            )}
          </div>
        </div>
      ) : (
        <p className="muted">No source is connected yet. Ask an administrator to connect Duo.</p>
      )}
      <ol className="steps-preview">
        <li>
          <strong>In Duo</strong>: an Owner creates an Admin API application with “Grant read log”
          (activity) and “Grant read resource” (accounts and groups).
        </li>
        <li>
          <strong>Here</strong>: Create source → pick the connector → name and owner → enter the
          keys → Test Connection.
        </li>
        <li>
          <strong>Then</strong>: activity syncs at once and every 24 hours; aggregate the Duo source
          to gather accounts and groups.
        </li>
      </ol>
    </div>
  );
}
