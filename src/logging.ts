/**
 * The one logger factory: pino with secrets redacted wherever they might travel (Duo secret
 * keys, passwords, tokens, Authorization headers, cookies).
 *
 * @example const log = createLogger({ level: 'info' }); log.info({ sourceId }, 'sync started');
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'skey',
  'secretKey',
  'secret_key',
  'password',
  'token',
  'authorization',
  '*.skey',
  '*.secretKey',
  '*.secret_key',
  '*.password',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  readonly level: string;
  /** Default: standard error. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const config = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'duo-insights' },
  };
  // stderr: a command's stdout is its result (JSON when piped), never mixed with logs.
  return pino(config, options.destination ?? pino.destination({ fd: 2, sync: true }));
}
