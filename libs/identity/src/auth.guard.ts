import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS, AccessRule, forbidden, Principal } from '@keepdesk/core';
import { ApiKeysService } from './api-keys.service';
import { AuthTokens } from './auth-tokens.service';
import { IdentityRepository } from './identity.repository';

/**
 * Global guard: every route states who may call it (@Public, @AnyUser, @Supervisors, @Admins,
 * @Access); a route without a rule is closed. Credentials are checked first (401), then the
 * rule (403).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AuthTokens,
    private readonly apiKeys: ApiKeysService,
    private readonly users: IdentityRepository,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // sockets authenticate in the gateway
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [ctx.getHandler(), ctx.getClass()]);
    if (rule?.public) return true;
    const req = ctx.switchToHttp().getRequest();
    const principal = await this.authenticate(req.headers ?? {});
    req.principal = principal;
    if (!rule) throw forbidden('This route is not open to anyone');
    if (principal.kind === 'apiKey') {
      if (!rule.apiKey) throw forbidden('API keys may not call this route');
      return true;
    }
    if (rule.apiKey === 'only') throw forbidden('This route is for API keys only');
    if (!rule.roles?.includes(principal.role)) throw forbidden(`This route needs the role ${rule.roles?.join(' or ') ?? 'none'}`);
    return true;
  }

  private async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal> {
    const header = headers['x-api-key'];
    const apiKeyHeader = Array.isArray(header) ? header[0] : header;
    const auth = typeof headers.authorization === 'string' ? headers.authorization : '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    const apiKey = apiKeyHeader ?? (bearer && ApiKeysService.looksLikeKey(bearer) ? bearer : undefined);
    if (apiKey) {
      const key = await this.apiKeys.verify(apiKey);
      if (!key) throw new UnauthorizedException('The API key is invalid or revoked');
      return { kind: 'apiKey', apiKeyId: key.id, name: key.name };
    }
    if (!bearer) throw new UnauthorizedException('Authentication required: send Authorization: Bearer <token> or X-Api-Key');
    const claims = this.tokens.verify(bearer);
    if (!claims) throw new UnauthorizedException('The access token is invalid or expired');
    const user = await this.users.findUserById(claims.sub);
    if (!user || !user.active) throw new UnauthorizedException('The user of this token no longer exists or is deactivated');
    return { kind: 'user', userId: user.id, role: user.role, teamIds: user.teamIds, name: user.name, email: user.email };
  }
}
