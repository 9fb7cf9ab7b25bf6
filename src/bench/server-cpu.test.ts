import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { backendCpuSeconds, mainThreadCpuSeconds, processCpuSeconds } from './server-cpu.js';

describe('CPU time of another process', () => {
  it('reads the CPU a running process has used, and nothing for one that has ended', async () => {
    // A child that burns CPU until it has used 0.3 s of it (by its own count), then exits.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 3e5); process.stdout.write("done\\n"); setInterval(() => {}, 1000);',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const pid = child.pid ?? 0;
    await new Promise<void>((done) =>
      child.stdout.once('data', () => {
        done();
      }),
    );
    const cpu = processCpuSeconds(pid);
    expect(cpu).toBeGreaterThanOrEqual(0.3);
    expect(backendCpuSeconds([pid, 2 ** 22 + 1]).get(pid)).toBeGreaterThanOrEqual(0.3);
    expect(backendCpuSeconds([2 ** 22 + 1]).size).toBe(0);
    // The loop ran on the main thread: most of the process's CPU is its own, never more.
    const main = mainThreadCpuSeconds(pid) ?? 0;
    expect(main).toBeGreaterThanOrEqual(0.25);
    expect(main).toBeLessThanOrEqual(processCpuSeconds(pid) ?? 0);
    const ended = new Promise((done) => child.once('exit', done));
    child.kill();
    await ended;
    expect(processCpuSeconds(pid)).toBeUndefined();
    expect(mainThreadCpuSeconds(pid)).toBeUndefined();
  });
});
