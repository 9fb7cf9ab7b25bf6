/**
 * CPU time of other processes on this machine, from `/proc/<pid>/stat` (user + system time, in
 * clock ticks): how the bench counts the PostgreSQL server's share of an ingest, whose backends
 * run beside the syncing process.
 *
 * @example const server = new ServerCpu(db); await server.sample(); … await server.sample(); server.seconds()
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Db } from '../store/dialect.js';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100; // Linux's USER_HZ on every common architecture
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/**
 * The CPU seconds used so far by each process that `/proc` shows; processes that have ended or
 * cannot be read are left out.
 */
export function backendCpuSeconds(pids: Iterable<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const cpu = processCpuSeconds(pid);
    if (cpu !== undefined) out.set(pid, cpu);
  }
  return out;
}

/** utime + stime of one process (fields 14 and 15 of its stat line, after the command name). */
export function processCpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${String(pid)}/stat`);
}

/**
 * utime + stime of a process's main thread alone (for Node: the event loop; the rest of the
 * process is its worker and helper threads: `processCpuSeconds(pid) - mainThreadCpuSeconds(pid)`).
 */
export function mainThreadCpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${String(pid)}/task/${String(pid)}/stat`);
}

function statCpuSeconds(path: string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicks();
}

/**
 * The CPU time the PostgreSQL server spent for this process: every backend connected to the
 * database (`pg_stat_activity`), its latest reading kept, less what each had used at the start
 * (the bench's own connection is idle meanwhile). Null when `/proc` shows no backend (a server
 * on another machine or in another PID namespace).
 */
export class ServerCpu {
  readonly #db: Db;
  readonly #first = new Map<number, number>();
  readonly #last = new Map<number, number>();
  #started = false;
  #readable = true;

  constructor(db: Db) {
    this.#db = db;
  }

  async sample(): Promise<void> {
    try {
      const { rows } = await sql<{ pid: number }>`
        select pid from pg_stat_activity where datname = current_database()`.execute(this.#db);
      for (const [pid, cpu] of backendCpuSeconds(rows.map((r) => r.pid))) {
        if (!this.#started) this.#first.set(pid, cpu);
        else if (!this.#first.has(pid) && !this.#last.has(pid)) this.#first.set(pid, 0);
        this.#last.set(pid, cpu);
      }
      if (this.#last.size === 0) this.#readable = false;
    } finally {
      this.#started = true;
    }
  }

  seconds(): number | null {
    if (!this.#readable) return null;
    let total = 0;
    for (const [pid, cpu] of this.#last) total += cpu - (this.#first.get(pid) ?? 0);
    return total;
  }
}
