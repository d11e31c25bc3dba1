import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Observable } from 'rxjs';

/**
 * Unknown fields are refused (SPEC), in the query string too. Routes with a query DTO already refuse
 * unknown parameters (whitelist); this covers the API routes that take no query at all, where
 * `GET /api/agents?color=red` used to be answered as if the parameter meant something.
 * Public pages (`/s/…`, health, metrics) are left alone: links pick up tracking parameters.
 */
@Injectable()
export class NoUnknownQueryInterceptor implements NestInterceptor {
  private readonly takesQuery = new WeakMap<object, boolean>();

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<{ url?: string; query?: Record<string, unknown> }>();
    if (!req.url?.startsWith('/api/') || !req.query) return next.handle();
    const names = Object.keys(req.query);
    if (names.length && !this.routeTakesQuery(ctx)) {
      const message = `${names[0]} is not a query parameter of this route (it takes none)`;
      throw new BadRequestException({ message, errors: names.map((field) => ({ field, messages: [`${field} is not a query parameter of this route (it takes none)`] })) });
    }
    return next.handle();
  }

  private routeTakesQuery(ctx: ExecutionContext): boolean {
    const handler = ctx.getHandler();
    let known = this.takesQuery.get(handler);
    if (known === undefined) {
      const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, ctx.getClass(), handler.name) ?? {};
      known = Object.keys(args).some((k) => Number(k.split(':')[0]) === RouteParamtypes.QUERY);
      this.takesQuery.set(handler, known);
    }
    return known;
  }
}
