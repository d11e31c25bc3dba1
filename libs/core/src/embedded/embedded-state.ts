import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the launcher (`npm start`) that owns the embedded Postgres of a data folder says how to
 * reach it, so `npm run migrate`/`seed` or an app started by hand attach to it instead of opening
 * the same PGlite folder a second time (which would corrupt it).
 */
export interface EmbeddedState {
  pid: number;
  url: string;
}

export function embeddedStateFile(dataDir: string): string {
  return join(dataDir, 'embedded-postgres.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running launcher's server, or null (a stale file of a dead launcher is removed). */
export function readEmbeddedState(dataDir: string): EmbeddedState | null {
  const file = embeddedStateFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedState;
    if (typeof state.pid === 'number' && typeof state.url === 'string' && alive(state.pid)) return state;
  } catch {
    // unreadable: treat as stale
  }
  rmSync(file, { force: true });
  return null;
}

export function writeEmbeddedState(dataDir: string, state: EmbeddedState | null): void {
  const file = embeddedStateFile(dataDir);
  if (state) writeFileSync(file, JSON.stringify(state));
  else rmSync(file, { force: true });
}
