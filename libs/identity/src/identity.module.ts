import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AgentsService } from './agents.service';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { AuthTokens } from './auth-tokens.service';
import { AgentsController, ApiKeysController, AuthController, TeamsController } from './identity.controller';
import { IdentityRepository } from './identity.repository';

/** Token verification, for the socket gateway and anything else outside HTTP routes. */
@Module({
  providers: [AuthTokens, IdentityRepository],
  exports: [AuthTokens, IdentityRepository],
})
export class IdentityCoreModule {}

/** Users, teams, roles, API keys and the global guard (API app). */
@Module({
  imports: [IdentityCoreModule],
  controllers: [AuthController, AgentsController, TeamsController, ApiKeysController],
  providers: [AgentsService, ApiKeysService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AgentsService, ApiKeysService, IdentityCoreModule],
})
export class IdentityModule {}
