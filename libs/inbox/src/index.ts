export * from './inbox.module';
export { PresenceStore, RedisPresenceStore, PRESENCE_LEASE_MS } from './presence.store';
export type { PresenceStatus } from './presence.store';
export { envelope } from './inbox.gateway';
