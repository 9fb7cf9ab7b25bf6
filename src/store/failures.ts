/**
 * Says, for a person, why the database could not be used: the PostgreSQL server is down or
 * unknown, the database does not exist, the user or password is refused, or the SQLite file
 * cannot be opened — with what to change (`DATABASE_URL`, `DUO_INSIGHTS_DATA_DIR`). Never quotes
 * the connection string (it may carry a password).
 *
 * @example const text = describeDatabaseFailure(error); if (text) print(text);
 */
import { causeChain } from '../domain/errors.js';

/** One line with the cause and the fix, or undefined when `error` is not a database failure. */
export function describeDatabaseFailure(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    const code = stringField(link, 'code');
    if (code === undefined) continue;
    const where = serverAddress(link);
    switch (code) {
      case 'ECONNREFUSED':
        return `cannot reach the PostgreSQL server${where} (connection refused): start PostgreSQL, or point DATABASE_URL at a running server`;
      case 'ETIMEDOUT':
        return `the PostgreSQL server${where} does not answer (timed out): check that it runs and that a firewall lets this machine reach it, or fix DATABASE_URL`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN': {
        const host = stringField(link, 'hostname');
        return `the PostgreSQL host${host ? ` ${host}` : ''} does not resolve: fix the host in DATABASE_URL`;
      }
      case '3D000':
        return `${messageOf(link)} on the PostgreSQL server: create it (createdb <name>), or fix the database name in DATABASE_URL`;
      case '28P01':
      case '28000':
        return `PostgreSQL refused the connection (${messageOf(link)}): fix the user or password in DATABASE_URL, or allow this client in the server's pg_hba.conf`;
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_READONLY':
      case 'SQLITE_NOTADB':
      case 'SQLITE_CORRUPT':
        return `cannot use the SQLite database (${code}: ${messageOf(link)}): point DATABASE_URL (or DUO_INSIGHTS_DATA_DIR) at a writable place holding a duo-insights database`;
      default:
        continue;
    }
  }
  return undefined;
}

function serverAddress(error: unknown): string {
  const address = stringField(error, 'address');
  const port =
    typeof error === 'object' && error !== null && 'port' in error ? String(error.port) : '';
  if (address === undefined) return '';
  return ` at ${address.includes(':') ? `[${address}]` : address}${port ? `:${port}` : ''}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stringField(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(name in error)) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
