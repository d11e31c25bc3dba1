#!/usr/bin/env node
/** npm run bench -- <name>: builds, then runs dist/bench/<name>.bench.js (see bench/README.md). */
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const name = process.argv[2];
const benches = existsSync(join(__dirname, '..', 'bench')) ? readdirSync(join(__dirname, '..', 'bench')).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', '')) : [];
if (!name || !benches.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${benches.join(', ')})`);
  process.exit(2);
}
const build = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build', 'api'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, '..', 'dist', 'bench', `${name}.bench.js`), ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
