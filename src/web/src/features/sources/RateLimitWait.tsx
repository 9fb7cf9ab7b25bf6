/**
 * Test Connection through Duo's rate limit: asks the server how long the test would wait first,
 * so the console can say, while it waits, that it is Duo's rate limit and for how long (an
 * activity source's log read goes at most twice a minute).
 *
 * @example const verdict = await testConnectionWaiting(api, source.id, setWaitSeconds);
 */
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { connectionTestWait, testConnection, type ConnectionTest } from './api';
import './RateLimitWait.css';

/** Below this many seconds a wait is not worth a message. */
const WORTH_SAYING_SECONDS = 2;

/**
 * Runs Test Connection; when Duo's rate limit holds it back, tells `onWait` the seconds first.
 * A failure to learn the wait does not stop the test.
 */
export async function testConnectionWaiting(
  api: Api,
  sourceId: string,
  onWait: (seconds: number) => void,
): Promise<ConnectionTest> {
  const seconds = await connectionTestWait(api, sourceId).catch(() => 0);
  if (seconds >= WORTH_SAYING_SECONDS) onWait(seconds);
  return testConnection(api, sourceId);
}

/** "Waiting for Duo's rate limit", counting down the seconds it was told. */
export function RateLimitWait({ seconds }: { seconds: number }) {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    const until = Date.now() + seconds * 1000;
    setLeft(seconds);
    const timer = window.setInterval(() => {
      setLeft(Math.max(0, Math.ceil((until - Date.now()) / 1000)));
    }, 500);
    return () => {
      window.clearInterval(timer);
    };
  }, [seconds]);
  return (
    <div className="verdict rate-limit-wait" role="status" data-testid="rate-limit-wait">
      <p className="verdict-title">Waiting for Duo’s rate limit: about {left} s</p>
      <p>
        Duo limits how often one Admin API application may call it (its logs at most twice a
        minute), and this one called it moments ago. The test goes out on its own in {seconds} s;
        nothing needs doing meanwhile.
      </p>
    </div>
  );
}
