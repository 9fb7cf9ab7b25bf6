/**
 * Test Connection with a plain verdict: on failure the cause (wrong key, bad signature or clock
 * skew, missing permission — named —, host unreachable, TLS, rate limited) and the fix.
 */
import { useState, type ReactNode } from 'react';
import { Badge } from '../../ui/components';
import { formatAgo } from '../../ui/format';
import { useSession } from '../auth/session';
import { testDetails, type ConnectionTest, type Source } from './api';
import { RateLimitWait, testConnectionWaiting } from './RateLimitWait';
import { describeError } from '../../api/client';

const CAUSES: Record<string, string> = {
  invalid_integration_key: 'Duo does not know this integration key',
  invalid_signature: 'Duo rejected the signature: wrong secret key or clock skew',
  missing_credentials: 'The integration key, secret key or API host is missing',
  permission_missing: 'The Admin API application lacks a permission',
  not_found: 'The API host does not serve the Duo Admin API',
  bad_request: 'Duo rejected the request',
  rate_limited: 'Duo is rate limiting this application',
  server_error: 'Duo answered with a server error',
  network: 'The API host cannot be reached',
  bad_response: 'Duo answered with something unexpected',
  uncertain_outcome: 'Duo may have applied the change; check it in Duo',
};

/** Within this clock skew Duo's verdict on a signature is about the secret key alone. */
const CLOCKS_AGREE_SECONDS = 5;

const NETWORK_REASONS: Record<string, string> = {
  dns: 'the host name does not resolve (DNS)',
  refused: 'the connection was refused',
  timeout: 'the connection timed out',
  tls: 'the TLS certificate was not accepted',
  reset: 'the connection was reset',
  other: 'a network error',
};

export function TestConnectionPanel({
  source,
  onResult,
  unavailable,
}: {
  source: Source;
  onResult?: (result: ConnectionTest) => void;
  /** Why the test cannot run now and when it can (e.g. a run holds the source): disables it. */
  unavailable?: ReactNode;
}) {
  const { api } = useSession();
  const [result, setResult] = useState<ConnectionTest | null>(source.lastTest ?? null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [waitSeconds, setWaitSeconds] = useState(0);

  async function run() {
    setBusy(true);
    setProblem(null);
    try {
      const verdict = await testConnectionWaiting(api, source.id, setWaitSeconds);
      const stamped = verdict;
      setResult(stamped);
      onResult?.(stamped);
    } catch (error) {
      setProblem(describeError(error));
    } finally {
      setWaitSeconds(0);
      setBusy(false);
    }
  }

  return (
    <div className="test-panel">
      <button
        type="button"
        className="button button-primary"
        onClick={() => void run()}
        disabled={busy || unavailable !== undefined}
        {...(unavailable === undefined ? {} : { 'aria-describedby': 'test-unavailable' })}
      >
        {busy ? 'Testing…' : 'Test Connection'}
      </button>
      {unavailable !== undefined && (
        <p className="muted small test-panel-blocked" id="test-unavailable">
          {unavailable}
        </p>
      )}
      <div aria-live="polite">
        {busy && waitSeconds > 0 && <RateLimitWait seconds={waitSeconds} />}
        {problem && (
          <div className="verdict verdict-bad" role="alert">
            <p className="verdict-title">The test could not run</p>
            <p>{problem}</p>
          </div>
        )}
        {result && !busy && !problem && <Verdict result={result} />}
      </div>
    </div>
  );
}

export function Verdict({ result }: { result: ConnectionTest }) {
  if (result.ok) {
    return (
      <div className="verdict verdict-good" data-verdict="passed">
        <p className="verdict-title">
          <Badge tone="good">Passed</Badge> Connected to Duo
        </p>
        <p>{result.message}</p>
        {result.writeGranted !== undefined && (
          <p className="verdict-write" data-write-granted={String(result.writeGranted)}>
            {result.writeGranted === true ? (
              <>
                <Badge tone="good">Can change Duo</Badge> “Grant write resource” is granted: revoked
                access is removed in Duo, accounts can be disabled, enabled and unlocked.
              </>
            ) : result.writeGranted === false ? (
              <>
                <Badge tone="warn">Read only</Badge> Grant “Grant write resource” in the Admin API
                application to let access reviews remove revoked access in Duo; until then it is
                removed by hand.
              </>
            ) : (
              <>
                <Badge tone="info">Write unknown</Badge> Whether it may change users and groups in
                Duo could not be told; test again.
              </>
            )}
          </p>
        )}
        <p className="muted small">Tested {formatAgo(result.at)}</p>
      </div>
    );
  }
  const details = testDetails(result);
  const cause =
    details.networkReason === 'tls'
      ? 'The TLS certificate of the API host was not accepted'
      : result.code === 'invalid_signature' &&
          details.clockSkewSeconds !== undefined &&
          Math.abs(details.clockSkewSeconds) <= CLOCKS_AGREE_SECONDS
        ? 'The secret key is wrong'
        : ((result.code ? CAUSES[result.code] : undefined) ?? 'The connection failed');
  return (
    <div className="verdict verdict-bad" data-verdict="failed" role="alert">
      <p className="verdict-title">
        <Badge tone="bad">Failed</Badge> {cause}
      </p>
      <dl className="facts facts-compact">
        <div>
          <dt>What Duo said</dt>
          <dd>{result.message}</dd>
        </div>
        {details.permission && (
          <div>
            <dt>Missing permission</dt>
            <dd>{details.permission}</dd>
          </div>
        )}
        {details.clockSkewSeconds !== undefined && (
          <div>
            <dt>Clock skew</dt>
            <dd>{details.clockSkewSeconds} seconds</dd>
          </div>
        )}
        {details.networkReason && (
          <div>
            <dt>Network</dt>
            <dd>{NETWORK_REASONS[details.networkReason] ?? details.networkReason}</dd>
          </div>
        )}
        {details.fix && (
          <div>
            <dt>How to fix it</dt>
            <dd>{details.fix}</dd>
          </div>
        )}
      </dl>
      {result.code && <p className="muted small">Code: {result.code}</p>}
    </div>
  );
}
