export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
export { embeddedStateFile, readEmbeddedState, writeEmbeddedState, type EmbeddedState } from './embedded-state';
