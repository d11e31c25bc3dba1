import { spawn } from 'node:child_process';
import { exitIfShutdownHangs } from './shutdown-deadline';

/** Runs `body` in a real node process with the deadline armed (200 ms), sends SIGTERM once it is up. */
function runWithSigterm(body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const script = `(${exitIfShutdownHangs.toString()})('child', 200);\n${body}\nprocess.stdout.write('up\\n');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let sentAt = 0;
  child.stdout.on('data', () => {
    sentAt = Date.now();
    child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - sentAt })));
}

describe('exitIfShutdownHangs', () => {
  it('exits with 1, saying why, when the graceful shutdown never finishes', async () => {
    // A shutdown hook that waits forever (a database that no longer answers).
    const r = await runWithSigterm(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('graceful shutdown after SIGTERM did not finish in 200 ms');
    expect(r.ms).toBeGreaterThanOrEqual(150);
  });

  it('does not hold up a shutdown that finishes, nor swallow the signal Nest re-sends to itself', async () => {
    const r = await runWithSigterm(`
      const timer = setInterval(() => {}, 1000);
      const hook = () => { process.removeListener('SIGTERM', hook); clearInterval(timer); setTimeout(() => process.kill(process.pid, 'SIGTERM'), 10); };
      process.on('SIGTERM', hook);`);
    expect(r.signal).toBe('SIGTERM');
    expect(r.stderr).toBe('');
    expect(r.ms).toBeLessThan(150);
  });
});
