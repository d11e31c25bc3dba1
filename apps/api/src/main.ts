import 'reflect-metadata';
import { exitIfShutdownHangs, loadConfigOrExit } from '@keepdesk/core';
import { createApiApp } from './bootstrap';
import { modeLine, resolveDatabaseUrl } from './database-url';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  exitIfShutdownHangs('keepdesk api', config.shutdownTimeoutMs);
  const databaseUrl = await resolveDatabaseUrl(config);
  const app = await createApiApp(config, databaseUrl);
  await app.listen({ port: config.port, host: process.env.HOST ?? '0.0.0.0' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The one line launchers and tests wait for.
  process.stdout.write(`keepdesk api listening on http://localhost:${port} (${modeLine(config)})\n`);
}

main().catch((e) => {
  process.stderr.write(`keepdesk api: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
