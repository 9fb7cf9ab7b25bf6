/**
 * While a run holds a source: the line on its page that links to the run's page (its share and
 * time left), and the sentence saying why Test Connection waits and until when.
 */
import { Meter } from '../../ui/components';
import { Link } from '../../ui/router';
import type { Run } from './api';
import { estimateRemainingMs, formatTimeLeft, runShare } from './progress';
import './RunFollow.css';

const RUNNING: Record<Run['kind'], string> = {
  sync: 'A sync',
  aggregation: 'An aggregation',
  test: 'A connection test',
};

export function runPath(run: Pick<Run, 'id' | 'sourceId'>): string {
  return `/sources/${run.sourceId}/runs/${run.id}`;
}

/** "about 3 min" ("a few seconds"), or null while the time left cannot be estimated yet. */
function timeLeft(run: Run): string | null {
  const remaining = estimateRemainingMs(run, Date.now());
  return remaining === null ? null : formatTimeLeft(remaining);
}

export function RunFollow({ run }: { run: Run }) {
  const share = runShare(run);
  const left = timeLeft(run);
  return (
    <div className="run-follow" role="status">
      <strong>
        {RUNNING[run.kind]} is running{run.stats.firstSync ? ' (the first sync)' : ''}
      </strong>
      {share !== null && (
        <span className="inline-facts">
          <Meter value={share} label={`Share of the running ${run.kind} done`} />
          <span>{Math.floor(share * 100)} %</span>
        </span>
      )}
      <span>{left === null ? 'time left: estimating…' : `${left} left`}</span>
      <Link to={runPath(run)}>Follow the run →</Link>
    </div>
  );
}

/** Why Test Connection is not offered while `run` goes, and when it will be. */
export function testWaitsFor(run: Run): string {
  const left = timeLeft(run);
  const what = run.kind === 'test' ? 'the connection test' : `the ${run.kind}`;
  return `Test Connection is unavailable while ${what} runs: it shares the source’s connection to Duo. It can run once ${what} ends${left === null ? '' : `, in ${left}`}.`;
}
