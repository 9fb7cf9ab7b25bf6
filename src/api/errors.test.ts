import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { createLogger } from '../logging.js';
import { SourceBusyError } from '../sync/context.js';
import { InputError } from '../sync/sources.js';
import { handleError } from './errors.js';

async function answerFor(error: unknown) {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (l: string) => void lines.push(l) },
  });
  const app = Fastify({ loggerInstance: log });
  app.setErrorHandler(handleError);
  app.get('/boom', async () => {
    await Promise.resolve();
    throw error;
  });
  const res = await app.inject({ method: 'GET', url: '/boom' });
  await app.close();
  return {
    status: res.statusCode,
    body: JSON.parse(res.body) as { error: Record<string, unknown> },
    lines,
  };
}

describe('the error mapper', () => {
  it('hides the details of an unexpected error from the client and logs them with context', async () => {
    const { status, body, lines } = await answerFor(
      new Error('connection to db.internal:5432 refused'),
    );
    expect(status).toBe(500);
    expect(body.error['code']).toBe('internal');
    expect(JSON.stringify(body)).not.toContain('db.internal');
    const logged = lines.join('\n');
    expect(logged).toContain('db.internal:5432 refused');
    expect(logged).toContain('/boom');
  });

  it('gives each known error its code and status in the one shape', async () => {
    const cases: [unknown, number, string][] = [
      [new NotFoundError('source', 'abc'), 404, 'not_found'],
      [new ConflictError('a source named "x" exists'), 409, 'conflict'],
      [new SourceBusyError('abc'), 409, 'source_busy'],
      [
        new InputError('name: is required', [{ field: 'name', message: 'is required' }]),
        400,
        'validation_failed',
      ],
    ];
    for (const [error, status, code] of cases) {
      const answer = await answerFor(error);
      expect(answer.status).toBe(status);
      expect(answer.body.error['code']).toBe(code);
      expect(typeof answer.body.error['message']).toBe('string');
    }
  });
});
