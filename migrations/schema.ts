import { DataSource, DataSourceOptions } from 'typeorm';
import { IDENTITY_ENTITIES } from '../libs/identity/src/identity.entities';
import { RETENTION_ENTITIES } from '../libs/retention/src/retention.entities';
import { SLA_ENTITIES } from '../libs/sla/src/sla.entities';
import { SURVEYS_ENTITIES } from '../libs/surveys/src/surveys.entities';
import { TICKETS_ENTITIES } from '../libs/tickets/src/tickets.entities';
import { WEBHOOKS_ENTITIES } from '../libs/webhooks/src/webhooks.entities';
import { MIGRATIONS } from './index';

/** Every entity, by domain. The drift gate compares these with what the migrations build. */
export const ENTITIES_BY_DOMAIN: Record<string, Function[]> = {
  identity: IDENTITY_ENTITIES,
  tickets: TICKETS_ENTITIES,
  sla: SLA_ENTITIES,
  surveys: SURVEYS_ENTITIES,
  retention: RETENTION_ENTITIES,
  webhooks: WEBHOOKS_ENTITIES,
};
export const ENTITIES: Function[] = Object.values(ENTITIES_BY_DOMAIN).flat();

export { MIGRATIONS };

export interface DataSourceConfig {
  url: string;
  readUrl?: string | null;
  poolSize?: number;
  applicationName?: string;
}

export function dataSourceOptions(cfg: DataSourceConfig, entities: Function[] = ENTITIES): DataSourceOptions {
  const extra = {
    max: cfg.poolSize ?? 20,
    application_name: cfg.applicationName ?? 'keepdesk',
    // A connection that cannot be had in 10 s is an error the caller sees, not a hang.
    connectionTimeoutMillis: 10000,
    idleTimeoutMillis: 30000,
  };
  const base = {
    type: 'postgres' as const,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto' as const,
    logging: false,
    extra,
  };
  if (cfg.readUrl) {
    return { ...base, replication: { master: { url: cfg.url }, slaves: [{ url: cfg.readUrl }] } };
  }
  return { ...base, url: cfg.url };
}

export function createDataSource(cfg: DataSourceConfig, entities?: Function[]): DataSource {
  return new DataSource(dataSourceOptions(cfg, entities));
}
