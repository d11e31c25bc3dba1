import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, FeedEvent, forbidden, GroupCommit, inTransaction, invalid, notFound, one, Principal, rows, Settled } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentService } from './assignment.service';
import { CustomerInput, CustomersRepository } from './customers.repository';
import { canMove, statusAfterCustomerReply } from './status-machine';
import { NewTicketEvent, TicketEventsService } from './ticket-events.service';
import { MessageKind, TicketChange, TicketChannel, TicketHooks, TicketPriority, TicketSnapshot, TicketStatus, TicketViews } from './ticket-hooks';
import { CreateTicketDto, InboundEmailDto, ListTicketsQuery, UpdateTicketDto } from './tickets.dto';
import { TicketsRepository } from './tickets.repository';

const isUniqueViolation = (e: unknown) => (e as { code?: string } | null)?.code === '23505';

type Actor = { type: NewTicketEvent['actorType']; id: string | null };

export function actorOf(p: Principal | null): Actor {
  if (!p) return { type: 'system', id: null };
  return p.kind === 'user' ? { type: 'user', id: p.userId } : { type: 'api_key', id: p.apiKeyId };
}

/** What a caller sees of a ticket (SPEC's shape: `number` as a number). */
export function present(t: TicketSnapshot) {
  return { ...t, number: Number(t.number) };
}

type NewTicketInput = {
  subject: string;
  body: string;
  customerId: string | null;
  customerByEmail?: { email: string; name: string | null };
  channel: TicketChannel;
  priority: TicketPriority;
  tags: string[];
  teamId: string | null;
  parentTicketId: string | null;
  idempotencyKey?: string | null;
};

interface Creation {
  input: NewTicketInput;
  actor: Actor;
  emailMessageId: string | null;
}

type CreatedTicket = ReturnType<typeof present> & Record<string, unknown>;

export interface SystemTicketInput {
  subject: string;
  body: string;
  customerId: string;
  teamId: string | null;
  priority?: TicketPriority;
  channel?: TicketChannel;
  tags?: string[];
  parentTicketId?: string | null;
  /**
   * What the ticket is opened for (e.g. `survey-follow-up:<survey id>`): at most one ticket per key,
   * ever. Asking again, also concurrently or after a crash, answers the ticket already opened.
   */
  idempotencyKey?: string;
}

/**
 * The ticket lifecycle: creation (with round-robin), the status machine, messages, inbound mail.
 * Every change writes its events and runs the other domains' hooks in the same transaction, then
 * publishes the events after commit.
 */
@Injectable()
export class TicketsService {
  constructor(
    private readonly db: DataSource,
    private readonly repo: TicketsRepository,
    private readonly customers: CustomersRepository,
    private readonly events: TicketEventsService,
    private readonly hooks: TicketHooks,
    private readonly views: TicketViews,
    private readonly assignment: AssignmentService,
  ) {}

  // Two batches at a time: one is written while the next one's requests are parsed and validated.
  private readonly creations = new GroupCommit<Creation, CreatedTicket>((batch) => this.writeCreations(batch), { maxBatch: 100, maxInFlight: 2 });

  async create(dto: CreateTicketDto, by: Principal) {
    if (dto.teamId && by.kind === 'user' && by.role === 'agent' && !by.teamIds.includes(dto.teamId)) {
      throw forbidden('agents may only create tickets for their own teams');
    }
    // With an externalId the upsert may adopt an existing email's customer (its own statement);
    // by email alone it joins the ticket's INSERT.
    const customerId = dto.customer.externalId ? (await this.customers.upsert(this.db.manager, dto.customer)).id : null;
    const ticket = await this.createTicket(
      {
        subject: dto.subject,
        body: dto.body,
        customerId,
        customerByEmail: customerId ? undefined : { email: dto.customer.email, name: dto.customer.name ?? null },
        channel: dto.channel ?? (by.kind === 'apiKey' ? 'api' : 'web'),
        priority: dto.priority ?? 'normal',
        tags: dto.tags ?? [],
        teamId: dto.teamId ?? null,
        parentTicketId: null,
      },
      actorOf(by),
      null,
    );
    return ticket;
  }

  /** For other domains: a service-recovery or churn follow-up ticket, created by the system. */
  async createSystemTicket(input: SystemTicketInput): Promise<ReturnType<typeof present>> {
    const key = input.idempotencyKey ?? null;
    if (key) {
      const existing = await this.repo.findByIdempotencyKey(this.db.manager, key);
      if (existing) return present(existing);
    }
    try {
      return await this.createTicket(
        {
          subject: input.subject,
          body: input.body,
          customerId: input.customerId,
          channel: input.channel ?? 'api',
          priority: input.priority ?? 'normal',
          tags: input.tags ?? [],
          teamId: input.teamId,
          parentTicketId: input.parentTicketId ?? null,
          idempotencyKey: key,
        },
        { type: 'system', id: null },
        null,
      );
    } catch (e) {
      // Opened concurrently by another process (or another batch) for the same cause.
      const winner = key && isUniqueViolation(e) ? await this.repo.findByIdempotencyKey(this.db.manager, key) : undefined;
      if (winner) return present(winner);
      throw e;
    }
  }

  private createTicket(input: NewTicketInput, actor: Actor, emailMessageId: string | null): Promise<CreatedTicket> {
    return this.creations.submit({ input, actor, emailMessageId });
  }

  /**
   * Concurrent creations share a transaction (group commit): one statement per table for the
   * whole batch instead of a round trip per row. Unknown teams fail only their own ticket; a batch
   * whose transaction fails is retried one ticket at a time, so one bad ticket fails alone.
   */
  private async writeCreations(batch: Creation[]): Promise<Settled<CreatedTicket>[]> {
    const results: (Settled<CreatedTicket> | undefined)[] = new Array(batch.length);
    const teamIds = [...new Set(batch.map((c) => c.input.teamId).filter((id): id is string => !!id))];
    if (teamIds.length) {
      const known = new Set((await rows<{ id: string }>(this.db.manager, `SELECT id FROM teams WHERE id = ANY($1::uuid[])`, [teamIds])).map((r) => r.id));
      batch.forEach((c, i) => {
        if (c.input.teamId && !known.has(c.input.teamId)) results[i] = { ok: false, error: invalid('teamId', `refers to unknown team ${c.input.teamId}`) };
      });
    }
    const todo = batch.map((c, i) => ({ c, i })).filter(({ i }) => !results[i]);
    try {
      const views = await this.insertCreations(todo.map(({ c }) => c));
      todo.forEach(({ i }, k) => (results[i] = { ok: true, value: views[k] }));
    } catch (e) {
      if (todo.length === 1) results[todo[0].i] = { ok: false, error: e };
      else {
        for (const { c, i } of todo) {
          results[i] = await this.insertCreations([c]).then(
            ([value]) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
        }
      }
    }
    return results as Settled<CreatedTicket>[];
  }

  private async insertCreations(batch: Creation[]): Promise<CreatedTicket[]> {
    if (!batch.length) return [];
    const { tickets, events, changes } = await this.db.transaction(async (tx) => {
      // Round-robin in team order: concurrent batches take the per-team locks in one order.
      const assignees = new Array<string | null>(batch.length).fill(null);
      const byTeam = batch.map((c, k) => ({ teamId: c.input.teamId, k })).filter((x): x is { teamId: string; k: number } => !!x.teamId);
      for (const { teamId, k } of byTeam.sort((a, b) => (a.teamId < b.teamId ? -1 : a.teamId > b.teamId ? 1 : a.k - b.k))) {
        assignees[k] = await this.assignment.pickAssignee(tx, teamId);
      }
      const tickets = await this.repo.insertMany(
        tx,
        batch.map((c, k) => ({ ...c.input, assigneeId: assignees[k], authorKind: 'customer' as const, authorId: null, emailMessageId: c.emailMessageId })),
      );
      const changes: TicketChange[] = tickets.map((ticket) => ({ kind: 'created', ticket, at: new Date(ticket.createdAt) }));
      await this.hooks.runMany(tx, changes);
      const evs = tickets.flatMap((ticket, k) => {
        const created = this.event(ticket, 'ticket.created', batch[k].actor, { ticket: present(ticket) });
        const assigneeId = assignees[k];
        if (!assigneeId) return [created];
        return [created, this.event(ticket, 'ticket.assigned', { type: 'system', id: null }, { assigneeId, previousAssigneeId: null, reason: 'round_robin' })];
      });
      return { tickets, events: await this.events.appendIn(tx, evs), changes };
    });
    await this.events.publish(events);
    await this.hooks.runAfterCommitMany(changes);
    return this.views.extend(this.db.manager, tickets.map(present), false);
  }

  async list(q: ListTicketsQuery, by: Principal) {
    const limit = q.limit ?? 25;
    const items = await this.repo.list(this.db.manager, {
      status: q.status,
      assigneeId: q.assigneeId,
      teamId: q.teamId,
      customerId: q.customerId,
      priority: q.priority,
      channel: q.channel,
      tag: q.tag,
      q: q.q,
      beforeNumber: q.cursor,
      limit,
      visibleTo: by.kind === 'user' && by.role === 'agent' ? { userId: by.userId, teamIds: by.teamIds } : undefined,
    });
    const extended = await this.views.extend(this.db.manager, items.map(present), false);
    return { items: extended, nextCursor: items.length === limit ? items[items.length - 1].number : null };
  }

  async get(id: string, by: Principal) {
    const t = await this.visible(this.db.manager, id, by);
    const [messages, events] = await Promise.all([this.repo.messages(this.db.manager, id), this.repo.events(this.db.manager, id)]);
    const [view] = await this.views.extend(this.db.manager, [present(t)], true);
    return { ...view, messages, events };
  }

  /** The ticket, or 404 — also when it exists but the caller may not see it (no existence leak). */
  async visible(m: Pick<EntityManager, 'query'>, id: string, by: Principal | null): Promise<TicketSnapshot> {
    const t = await this.repo.findById(m, id);
    if (!t || (by && !this.canSee(t, by))) throw notFound('ticket', id);
    return t;
  }

  canSee(t: Pick<TicketSnapshot, 'teamId' | 'assigneeId'>, by: Principal): boolean {
    if (by.kind === 'apiKey' || by.role !== 'agent') return true;
    return t.assigneeId === by.userId || (t.teamId !== null && by.teamIds.includes(t.teamId));
  }

  async update(id: string, dto: UpdateTicketDto, by: Principal) {
    const actor = actorOf(by);
    const { ticket, events, change } = await this.db.transaction(async (tx) => {
      const before = await this.repo.findForUpdate(tx, id);
      if (!before || !this.canSee(before, by)) throw notFound('ticket', id);
      const set: Parameters<TicketsRepository['update']>[2] = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (dto.status !== undefined && dto.status !== before.status) {
        if (!canMove(before.status, dto.status)) {
          throw new DomainException(ErrorCode.InvalidTransition, `status cannot change from ${before.status} to ${dto.status}`, 'status');
        }
        Object.assign(set, this.statusSet(before, dto.status));
        changes.status = { from: before.status, to: dto.status };
      }
      if (dto.priority !== undefined && dto.priority !== before.priority) {
        set.priority = dto.priority;
        changes.priority = { from: before.priority, to: dto.priority };
      }
      if (dto.teamId !== undefined && dto.teamId !== before.teamId) {
        if (dto.teamId && !(await one(tx, `SELECT 1 FROM teams WHERE id = $1`, [dto.teamId]))) throw invalid('teamId', `refers to unknown team ${dto.teamId}`);
        set.teamId = dto.teamId;
        changes.teamId = { from: before.teamId, to: dto.teamId };
      }
      if (dto.assigneeId !== undefined && dto.assigneeId !== before.assigneeId) {
        if (dto.assigneeId && !(await one(tx, `SELECT 1 FROM users WHERE id = $1 AND active`, [dto.assigneeId]))) {
          throw invalid('assigneeId', `refers to unknown or inactive agent ${dto.assigneeId}`);
        }
        set.assigneeId = dto.assigneeId;
        changes.assigneeId = { from: before.assigneeId, to: dto.assigneeId };
      }
      if (dto.tags !== undefined) {
        const tags = [...new Set(dto.tags)];
        if (tags.join('\u0000') !== before.tags.join('\u0000')) {
          set.tags = tags;
          changes.tags = { from: before.tags, to: tags };
        }
      }
      if (!Object.keys(changes).length) return { ticket: before, events: [] as FeedEvent[], change: null };
      // Moved to another team without an assignee: round-robin there.
      if (changes.teamId && set.teamId && dto.assigneeId === undefined && !before.assigneeId) {
        const picked = await this.assignment.pickAssignee(tx, set.teamId as string);
        if (picked) {
          set.assigneeId = picked;
          changes.assigneeId = { from: null, to: picked };
        }
      }
      const ticket = await this.repo.update(tx, id, set);
      const change: TicketChange = { kind: 'updated', ticket, previous: before, at: new Date(ticket.updatedAt) };
      await this.hooks.run(tx, change);
      const evs = [this.event(ticket, 'ticket.updated', actor, { changes })];
      if (changes.assigneeId) evs.push(this.event(ticket, 'ticket.assigned', actor, { assigneeId: ticket.assigneeId, previousAssigneeId: before.assigneeId }));
      const events = await this.events.appendIn(tx, evs);
      return { ticket, events, change };
    });
    if (change) await this.afterCommit(events, change);
    const [view] = await this.views.extend(this.db.manager, [present(ticket)], false);
    return view;
  }

  private statusSet(before: TicketSnapshot, to: TicketStatus): Parameters<TicketsRepository['update']>[2] {
    const now = new Date();
    const set: Parameters<TicketsRepository['update']>[2] = { status: to, statusChangedAt: now };
    // Resolution = the first transition to solved (SPEC); a reopen does not clear it.
    if (to === 'solved' && !before.solvedAt) set.solvedAt = now;
    if (to === 'closed') set.closedAt = now;
    if (before.status === 'solved' && to === 'open') set.reopenCount = before.reopenCount + 1;
    return set;
  }

  /** An agent's public reply or internal note. */
  async addAgentMessage(id: string, body: string, kind: 'reply' | 'note', by: Principal) {
    if (by.kind !== 'user') throw forbidden('only agents write replies and notes');
    return this.addMessage(id, { kind, body, authorId: by.userId }, actorOf(by), by);
  }

  /**
   * The customer replied (API key or inbound mail). Reopens pending/solved tickets; a reply to a
   * closed ticket opens a follow-up ticket linked to it.
   */
  async addCustomerMessage(id: string, body: string, by: Principal | null, emailMessageId: string | null = null) {
    const t = await this.visible(this.db.manager, id, by);
    if (t.status === 'closed') {
      const followUp = await this.createTicket(
        { subject: t.subject.startsWith('Re: ') ? t.subject : `Re: ${t.subject}`, body, customerId: t.customerId, channel: t.channel, priority: t.priority, tags: t.tags, teamId: t.teamId, parentTicketId: t.id },
        { type: 'customer', id: t.customerId },
        emailMessageId,
      );
      return { ticketId: followUp.id, followUp: true, ticket: followUp };
    }
    const r = await this.addMessage(id, { kind: 'customer', body, authorId: null, emailMessageId }, { type: 'customer', id: t.customerId }, by);
    return { ticketId: id, followUp: false, ...r };
  }

  private async addMessage(
    id: string,
    msg: { kind: MessageKind; body: string; authorId: string | null; emailMessageId?: string | null },
    actor: Actor,
    by: Principal | null,
  ) {
    const result = await inTransaction(this.db, async (tx) => {
      const before = await this.repo.findForUpdate(tx, id);
      if (!before || (by && !this.canSee(before, by))) throw notFound('ticket', id);
      const message = await this.repo.insertMessage(tx, { ticketId: id, ...msg });
      const set: Parameters<TicketsRepository['update']>[2] = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (msg.kind === 'reply') {
        if (!before.firstResponseAt) set.firstResponseAt = message.createdAt;
        if (before.status === 'new') {
          Object.assign(set, this.statusSet(before, 'open'));
          changes.status = { from: 'new', to: 'open' };
        }
      } else if (msg.kind === 'customer') {
        const next = statusAfterCustomerReply(before.status);
        if (next !== 'follow_up' && next !== before.status) {
          Object.assign(set, this.statusSet(before, next));
          changes.status = { from: before.status, to: next };
        }
      }
      const ticket = await this.repo.update(tx, id, set);
      const change: TicketChange = {
        kind: 'message',
        ticket,
        previous: before,
        message: { id: message.id, kind: msg.kind, authorId: msg.authorId, createdAt: new Date(message.createdAt) },
        at: new Date(message.createdAt),
      };
      await this.hooks.run(tx, change);
      const evs = [this.event(ticket, 'message.created', actor, { message })];
      if (Object.keys(changes).length) evs.push(this.event(ticket, 'ticket.updated', actor, { changes }));
      const events = await this.events.appendIn(tx, evs);
      return { ticket, message, events, change };
    });
    await this.afterCommit(result.events, result.change);
    return { message: result.message, ticket: present(result.ticket) };
  }

  /** Inbound mail: a reply threaded to its ticket, or a new ticket. Re-deliveries are recognised by Message-ID. */
  async inboundEmail(dto: InboundEmailDto) {
    const messageId = dto.messageId.trim();
    const seen = await this.repo.messageExists(this.db.manager, messageId);
    if (seen) return { ticketId: seen.ticket_id, created: false, duplicate: true };
    try {
      return await this.receive(dto, messageId);
    } catch (e) {
      // The same mail delivered twice at once: the unique Message-ID lets one in; the other is the duplicate.
      const again = isUniqueViolation(e) ? await this.repo.messageExists(this.db.manager, messageId) : undefined;
      if (again) return { ticketId: again.ticket_id, created: false, duplicate: true };
      throw e;
    }
  }

  private async receive(dto: InboundEmailDto, messageId: string) {
    const customer = await this.customers.upsert(this.db.manager, { email: dto.sender, name: dto.senderName } satisfies CustomerInput);
    const refs = [dto.inReplyTo, ...(dto.references ?? '').split(/\s+/)].map((s) => s?.trim()).filter((s): s is string => !!s);
    const threadId = await this.repo.findThread(this.db.manager, refs, dto.subject, customer.id);
    if (threadId) {
      const r = await this.addCustomerMessage(threadId, dto.text, null, messageId);
      return { ticketId: r.ticketId, created: r.followUp, duplicate: false };
    }
    const ticket = await this.createTicket(
      { subject: dto.subject.trim() || '(no subject)', body: dto.text, customerId: customer.id, channel: 'email', priority: 'normal', tags: [], teamId: null, parentTicketId: null },
      { type: 'customer', id: customer.id },
      messageId,
    );
    return { ticketId: ticket.id, created: true, duplicate: false };
  }

  /** Auto-close: solved tickets untouched for `days` become closed. Returns how many. */
  async autoClose(days: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { closed, events } = await this.db.transaction(async (tx) => {
        const closed = await this.repo.closeSolvedBefore(tx, days, 500);
        const events = await this.events.appendIn(
          tx,
          closed.map((t) => this.event(t, 'ticket.updated', { type: 'system', id: null }, { changes: { status: { from: 'solved', to: 'closed' } }, reason: 'auto_close' })),
        );
        return { closed, events };
      });
      await this.events.publish(events);
      total += closed.length;
      if (closed.length < 500) return total;
    }
  }

  private event(t: TicketSnapshot, type: string, actor: Actor, data: Record<string, unknown>): NewTicketEvent {
    return { ticketId: t.id, type, actorType: actor.type, actorId: actor.id, data, teamId: t.teamId, assigneeId: t.assigneeId };
  }

  private async afterCommit(events: FeedEvent[], change: TicketChange): Promise<void> {
    await this.events.publish(events);
    await this.hooks.runAfterCommit(change);
  }
}
