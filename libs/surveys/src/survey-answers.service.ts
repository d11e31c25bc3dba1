import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig, FeedEvent, inTransaction } from '@keepdesk/core';
import { NewTicketEvent, TicketEventsService, TicketsService } from '@keepdesk/tickets';
import { WebhooksService } from '@keepdesk/webhooks';
import { Locale, messages, resolveLocale } from './survey-i18n';
import { ProblemKind, renderFormPage, renderProblemPage, renderThanksPage } from './survey-render';
import { deriveTokenKey, verifySurveyToken } from './survey-token';
import { isLowScore, isValidScore, SCALES, SurveyType } from './survey-types';
import { SurveyRow, SurveysRepository } from './surveys.repository';

export interface PageResult {
  status: number;
  html: string;
}

type Resolved = { ok: true; survey: SurveyRow; locale: Locale } | { ok: false; page: PageResult };

const COMMENT_MAX = 5000;

/**
 * The customer's side: the page behind the link and the answer. GET never writes (mail scanners
 * follow every link); POST records one answer per survey (the UPDATE … WHERE score IS NULL is the
 * guard), and a comment may be added once afterwards.
 */
@Injectable()
export class SurveyAnswersService {
  private readonly logger = new Logger(SurveyAnswersService.name);
  private readonly tokenKey: Buffer;

  constructor(
    private readonly repo: SurveysRepository,
    private readonly events: TicketEventsService,
    private readonly tickets: TicketsService,
    private readonly webhooks: WebhooksService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tokenKey = deriveTokenKey(config.jwtSecret);
  }

  problem(locale: Locale, kind: ProblemKind): PageResult {
    const status = { forged: 404, expired: 410, reused: 409, rate_limited: 429 }[kind];
    return { status, html: renderProblemPage(locale, kind) };
  }

  private async resolve(token: string, fallbackLocale: Locale): Promise<Resolved> {
    const check = verifySurveyToken(this.tokenKey, token);
    if (!check.ok && check.reason === 'forged') return { ok: false, page: this.problem(fallbackLocale, 'forged') };
    const claims = check.claims!;
    const s = await this.repo.byId(this.repo.ds.manager, claims.surveyId);
    // Bound to one survey AND its ticket; a survey never sent has no valid link.
    if (!s || s.ticket_id !== claims.ticketId || !s.expires_at || s.state !== 'sent') {
      return { ok: false, page: this.problem(fallbackLocale, 'forged') };
    }
    const locale = resolveLocale(s.locale, fallbackLocale);
    if (!check.ok || new Date(s.expires_at).getTime() <= Date.now()) return { ok: false, page: this.problem(locale, 'expired') };
    return { ok: true, survey: s, locale };
  }

  async page(token: string, scoreParam: string | undefined, fallbackLocale: Locale): Promise<PageResult> {
    const r = await this.resolve(token, fallbackLocale);
    if (!r.ok) return r.page;
    const s = r.survey;
    if (s.score !== null) return { status: 200, html: renderThanksPage({ locale: r.locale, token, score: s.score, commentOpen: s.comment === null }) };
    const n = scoreParam !== undefined && /^\d{1,2}$/.test(scoreParam) ? Number(scoreParam) : null;
    const selected = n !== null && isValidScore(s.type as SurveyType, n) ? n : null;
    return { status: 200, html: renderFormPage({ locale: r.locale, type: s.type as SurveyType, token, ticketSubject: s.ticket_subject, selected }) };
  }

  async answer(token: string, body: unknown, fallbackLocale: Locale): Promise<PageResult> {
    const r = await this.resolve(token, fallbackLocale);
    if (!r.ok) return r.page;
    const s = r.survey;
    const input = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const rawScore = input.score;
    const score = typeof rawScore === 'number' ? rawScore : typeof rawScore === 'string' && /^\d{1,2}$/.test(rawScore.trim()) ? Number(rawScore.trim()) : rawScore === undefined || rawScore === '' ? null : NaN;
    const rawComment = typeof input.comment === 'string' ? input.comment.trim().slice(0, COMMENT_MAX) : null;
    const comment = rawComment ? rawComment : null;
    const type = s.type as SurveyType;

    if (score === null) {
      // Comment only: allowed once, after the answer.
      if (s.score === null) return this.formError(r.locale, s, token, messages(r.locale).chooseScore);
      if (!comment || s.comment !== null) return this.problem(r.locale, 'reused');
      if (!(await this.repo.addComment(s.id, comment))) return this.problem(r.locale, 'reused');
      return { status: 200, html: renderThanksPage({ locale: r.locale, token, score: s.score, commentOpen: false, commentSaved: true }) };
    }
    if (s.score !== null) return this.problem(r.locale, 'reused');
    if (!isValidScore(type, score)) return this.formError(r.locale, s, token, `${messages(r.locale).chooseScore} (${SCALES[type].min}–${SCALES[type].max})`);

    const low = isLowScore(type, score, s.low_score_threshold);
    const written = await inTransaction(this.repo.ds, async (tx, afterCommit) => {
      const answered = await this.repo.recordAnswer(tx, s.id, s.ticket_id, score, comment, low);
      if (!answered) return null;
      const data = { surveyId: s.id, type, score, comment, agentId: s.agent_id, lowScore: low };
      const base: Omit<NewTicketEvent, 'type'> = { ticketId: s.ticket_id, actorType: 'customer', actorId: s.customer_id, data, teamId: s.ticket_team_id, assigneeId: s.ticket_assignee_id };
      const evs: NewTicketEvent[] = [{ ...base, type: 'survey.responded' }];
      if (low) evs.push({ ...base, type: 'survey.low_score' });
      const feed = await this.events.appendIn(tx, evs);
      const hook = { ...data, ticketId: s.ticket_id, ticketNumber: Number(s.ticket_number), customerId: s.customer_id, teamId: s.team_id, answeredAt: new Date(answered.answered_at).toISOString() };
      await this.webhooks.emit(tx, 'survey.responded', hook, { eventId: `survey.responded.${s.id}`, afterCommit });
      if (low) await this.webhooks.emit(tx, 'survey.low_score', hook, { eventId: `survey.low_score.${s.id}`, afterCommit });
      return feed;
    });
    if (!written) return this.problem(r.locale, 'reused');
    await this.events.publish(written as FeedEvent[]);
    if (low) {
      await this.ensureFollowUp(s.id).catch((e) => this.logger.warn(`service-recovery follow-up for survey ${s.id} failed (the sweep retries): ${(e as Error).message}`));
    }
    return { status: 200, html: renderThanksPage({ locale: r.locale, token, score, commentOpen: comment === null }) };
  }

  private formError(locale: Locale, s: SurveyRow, token: string, error: string): PageResult {
    return { status: 400, html: renderFormPage({ locale, type: s.type as SurveyType, token, ticketSubject: s.ticket_subject, selected: null, error }) };
  }

  /**
   * A low score opens one service-recovery ticket for the team, linked to the rated ticket.
   * Idempotent without holding a transaction across the ticket's creation (which commits on its
   * own, and on the embedded database would wait for this one forever): the ticket is keyed by the
   * survey, so the answer path, the worker's sweep and a retry after a crash all get the same one.
   */
  async ensureFollowUp(surveyId: string): Promise<string | null> {
    const m = this.repo.ds.manager;
    const s = await this.repo.byId(m, surveyId);
    if (!s || !s.low_score) return null;
    if (s.follow_up_ticket_id) return s.follow_up_ticket_id;
    const max = SCALES[s.type as SurveyType].max;
    const t = await this.tickets.createSystemTicket({
      subject: `Service recovery: #${s.ticket_number} ${s.ticket_subject}`.slice(0, 250),
      body: [
        `The customer rated ticket #${s.ticket_number} ${s.score}/${max} (${s.type.toUpperCase()}).`,
        s.comment ? `Comment: ${s.comment}` : 'No comment was left.',
        s.agent_name ? `Agent credited: ${s.agent_name}.` : '',
        'Reach out, understand what went wrong, and put it right.',
      ]
        .filter(Boolean)
        .join('\n\n'),
      customerId: s.customer_id,
      teamId: s.ticket_team_id ?? s.team_id,
      priority: 'high',
      tags: ['service-recovery'],
      parentTicketId: s.ticket_id,
      idempotencyKey: `survey-follow-up:${s.id}`,
    });
    await this.repo.setFollowUp(m, s.id, t.id as string);
    return t.id as string;
  }
}
