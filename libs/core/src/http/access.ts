import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export type Role = 'agent' | 'supervisor' | 'admin';
export const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin'];

/** Who may call a route. Every route states it; the global guard denies routes that do not. */
export interface AccessRule {
  /** Logged-in users with one of these roles. */
  roles?: Role[];
  /** Integrations with an API key: true = also allowed, 'only' = only API keys. */
  apiKey?: boolean | 'only';
  public?: boolean;
}
export const ACCESS = Symbol('ACCESS');
export const Access = (rule: AccessRule) => SetMetadata(ACCESS, rule);
export const Public = () => SetMetadata(ACCESS, { public: true } satisfies AccessRule);
export const AnyUser = () => Access({ roles: ['agent', 'supervisor', 'admin'] });
export const Supervisors = () => Access({ roles: ['supervisor', 'admin'] });
export const Admins = () => Access({ roles: ['admin'] });

/** The caller, as the guard resolved it. */
export type Principal =
  | { kind: 'user'; userId: string; role: Role; teamIds: string[]; name: string; email: string }
  | { kind: 'apiKey'; apiKeyId: string; name: string };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal;
});
