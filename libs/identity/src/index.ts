export * from './identity.entities';
export * from './identity.module';
export * from './auth-tokens.service';
export * from './identity.repository';
export * from './agents.service';
export * from './api-keys.service';
