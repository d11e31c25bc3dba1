import { Body, Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@keepdesk/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { localeFromAcceptLanguage } from './survey-i18n';
import { PageResult, SurveyAnswersService } from './survey-answers.service';
import { RateLimiter } from './rate-limiter';

/** Per client address, all survey pages; per token, answers. Generous for people, tight for scripts. */
const PER_IP = { limit: 120, windowSeconds: 60 };
const PER_TOKEN_POST = { limit: 10, windowSeconds: 60 };

/**
 * The customer's survey page (no login, no JavaScript). Tokens travel in the path, so the page
 * forbids referrers, caching and indexing, and framing.
 */
@ApiExcludeController()
@Controller('s')
export class SurveyPublicController {
  constructor(
    private readonly answers: SurveyAnswersService,
    private readonly limiter: RateLimiter,
  ) {}

  @Public()
  @Get(':token')
  async page(@Param('token') token: string, @Query('score') score: string | undefined, @Headers('accept-language') lang: string | undefined, @Req() req: FastifyRequest, @Res() res: FastifyReply) {
    const locale = localeFromAcceptLanguage(lang) ?? 'en';
    if (!(await this.limiter.hit(`survey:ip:${req.ip}`, PER_IP.limit, PER_IP.windowSeconds))) return this.send(res, this.answers.problem(locale, 'rate_limited'));
    return this.send(res, await this.answers.page(token, typeof score === 'string' ? score : undefined, locale));
  }

  @Public()
  @Post(':token')
  async answer(@Param('token') token: string, @Body() body: unknown, @Headers('accept-language') lang: string | undefined, @Req() req: FastifyRequest, @Res() res: FastifyReply) {
    const locale = localeFromAcceptLanguage(lang) ?? 'en';
    const allowed =
      (await this.limiter.hit(`survey:ip:${req.ip}`, PER_IP.limit, PER_IP.windowSeconds)) &&
      (await this.limiter.hit(`survey:token:${token.slice(0, 120)}`, PER_TOKEN_POST.limit, PER_TOKEN_POST.windowSeconds));
    if (!allowed) return this.send(res, this.answers.problem(locale, 'rate_limited'));
    return this.send(res, await this.answers.answer(token, body, locale));
  }

  private send(res: FastifyReply, page: PageResult) {
    return res
      .code(page.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-robots-tag', 'noindex, nofollow')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      .send(page.html);
  }
}
