import 'reflect-metadata';
import { exitIfShutdownHangs, loadConfigOrExit } from '@keepdesk/core';
import { modeLine, resolveDatabaseUrl } from '../../api/src/database-url';
import { createWorkerApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  exitIfShutdownHangs('keepdesk worker', config.shutdownTimeoutMs);
  await createWorkerApp(config, await resolveDatabaseUrl(config));
  process.stdout.write(`keepdesk worker ready (${modeLine(config)})\n`);
}

main().catch((e) => {
  process.stderr.write(`keepdesk worker: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
