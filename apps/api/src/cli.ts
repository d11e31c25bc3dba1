/**
 * Operator commands: migrate | migration:check | migration:generate <Name> [--domains a,b] | seed.
 * Run through npm scripts (npm run migrate, …) against DATABASE_URL.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit } from '@keepdesk/core';
import { createDataSource, ENTITIES, ENTITIES_BY_DOMAIN } from '@keepdesk/schema';
import { withDatabase } from './database-url';
import { seed } from './seed/seed';

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const config = loadConfigOrExit();
  await withDatabase(config, async (url) => {
    switch (command) {
      case 'migrate': {
        const ds = await createDataSource({ url, applicationName: 'keepdesk-migrate' }).initialize();
        try {
          const ran = await ds.runMigrations({ transaction: 'each' });
          console.log(ran.length ? `applied ${ran.length} migration(s): ${ran.map((m) => m.name).join(', ')}` : 'database is up to date');
        } finally {
          await ds.destroy();
        }
        return;
      }
      case 'migration:check': {
        const ds = await createDataSource({ url, applicationName: 'keepdesk-migrate' }).initialize();
        try {
          await ds.runMigrations({ transaction: 'each' });
          const sql = await ds.driver.createSchemaBuilder().log();
          if (sql.upQueries.length) {
            console.error('schema drift: the entities and the migrations disagree. Missing in migrations:');
            for (const q of sql.upQueries) console.error('  ' + q.query);
            process.exitCode = 1;
          } else {
            console.log('no drift: migrations match the entities');
          }
        } finally {
          await ds.destroy();
        }
        return;
      }
      case 'migration:generate': {
        const name = args.find((a) => !a.startsWith('--'));
        if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error('usage: migration:generate <PascalCaseName> [--domains a,b]');
        const domainsArg = args.find((a) => a.startsWith('--domains='))?.slice('--domains='.length);
        const entities = domainsArg ? domainsArg.split(',').flatMap((d) => ENTITIES_BY_DOMAIN[d] ?? []) : ENTITIES;
        const ds = await createDataSource({ url, applicationName: 'keepdesk-migrate' }, entities).initialize();
        try {
          await ds.runMigrations({ transaction: 'each' });
          const sql = await ds.driver.createSchemaBuilder().log();
          if (!sql.upQueries.length) {
            console.log('nothing to generate: migrations match the entities');
            return;
          }
          const ts = Date.now();
          const kebab = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
          const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
          const up = sql.upQueries.map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`).join('\n');
          const down = sql.downQueries.reverse().map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`).join('\n');
          const file = join(process.cwd(), 'migrations', `${ts}-${kebab}.ts`);
          writeFileSync(
            file,
            `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${ts} implements MigrationInterface {\n  name = '${name}${ts}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
          );
          console.log(`wrote ${file}; add ${name}${ts} to migrations/index.ts`);
        } finally {
          await ds.destroy();
        }
        return;
      }
      case 'seed': {
        const ds = await createDataSource({ url, applicationName: 'keepdesk-seed' }).initialize();
        try {
          await ds.runMigrations({ transaction: 'each' });
          const summary = await seed(ds, config);
          console.log(summary);
        } finally {
          await ds.destroy();
        }
        return;
      }
      default:
        throw new Error(`unknown command "${command ?? ''}"; use migrate, migration:check, migration:generate <Name> or seed`);
    }
  });
}

main().catch((e) => {
  console.error(`keepdesk: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
