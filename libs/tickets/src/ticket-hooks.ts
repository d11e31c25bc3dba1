import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** What other domains see of a ticket (SPEC's ticket shape, without the extensions). */
export interface TicketSnapshot {
  id: string;
  number: string;
  subject: string;
  status: TicketStatus;
  priority: TicketPriority;
  channel: TicketChannel;
  tags: string[];
  customerId: string;
  teamId: string | null;
  assigneeId: string | null;
  parentTicketId: string | null;
  createdAt: Date;
  updatedAt: Date;
  firstResponseAt: Date | null;
  solvedAt: Date | null;
  closedAt: Date | null;
  reopenCount: number;
}

export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export const TICKET_CHANNELS = ['email', 'web', 'chat', 'phone', 'api'] as const;
export type TicketChannel = (typeof TICKET_CHANNELS)[number];
export const MESSAGE_KINDS = ['reply', 'note', 'customer'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export type TicketChange =
  | { kind: 'created'; ticket: TicketSnapshot; at: Date }
  /** status, priority, team, assignee or tags changed; `previous` is the row before. */
  | { kind: 'updated'; ticket: TicketSnapshot; previous: TicketSnapshot; at: Date }
  /** A message was added; `ticket` is after any status change the message caused. */
  | {
      kind: 'message';
      ticket: TicketSnapshot;
      previous: TicketSnapshot;
      message: { id: string; kind: MessageKind; authorId: string | null; createdAt: Date };
      at: Date;
    };

/**
 * Other domains react to ticket changes inside the ticket's own transaction (SLA timers, survey
 * scheduling, retention rows commit or roll back with the change). Register in onModuleInit.
 */
export interface TicketHook {
  readonly name: string;
  onTicketChange(tx: EntityManager, change: TicketChange): Promise<void>;
  /** Optional: work to do once the transaction committed (e.g. queue a job). */
  afterCommit?(change: TicketChange): Promise<void>;
  /** Optional: many changes of one transaction at once (batched creation); else onTicketChange runs per change. */
  onTicketChanges?(tx: EntityManager, changes: TicketChange[]): Promise<void>;
  /** Optional: afterCommit for many changes at once; else afterCommit runs per change. */
  afterCommitMany?(changes: TicketChange[]): Promise<void>;
}

@Injectable()
export class TicketHooks {
  private readonly hooks: TicketHook[] = [];

  register(hook: TicketHook): void {
    if (!this.hooks.some((h) => h.name === hook.name)) this.hooks.push(hook);
  }

  async run(tx: EntityManager, change: TicketChange): Promise<void> {
    for (const h of this.hooks) await h.onTicketChange(tx, change);
  }

  async runAfterCommit(change: TicketChange): Promise<void> {
    for (const h of this.hooks) if (h.afterCommit) await h.afterCommit(change);
  }

  /** The changes of one transaction; a hook with a batch form gets them all in one call. */
  async runMany(tx: EntityManager, changes: TicketChange[]): Promise<void> {
    for (const h of this.hooks) {
      if (h.onTicketChanges) await h.onTicketChanges(tx, changes);
      else for (const c of changes) await h.onTicketChange(tx, c);
    }
  }

  async runAfterCommitMany(changes: TicketChange[]): Promise<void> {
    for (const h of this.hooks) {
      if (h.afterCommitMany) await h.afterCommitMany(changes);
      else if (h.afterCommit) for (const c of changes) await h.afterCommit(c);
    }
  }
}

/**
 * Fields other domains add to a ticket as read by the API: `sla` (lists and detail),
 * `survey` and `repurchases` (detail). load() gets many ids at once: no query per ticket.
 */
export interface TicketViewExtension {
  readonly field: 'sla' | 'survey' | 'repurchases';
  readonly detailOnly: boolean;
  load(m: EntityManager, ticketIds: string[]): Promise<Map<string, unknown>>;
  /** Value when the domain has nothing for a ticket. */
  readonly empty: unknown;
}

@Injectable()
export class TicketViews {
  private readonly extensions: TicketViewExtension[] = [];

  register(ext: TicketViewExtension): void {
    if (!this.extensions.some((e) => e.field === ext.field)) this.extensions.push(ext);
  }

  async extend<T extends { id: string }>(m: EntityManager, tickets: T[], detail: boolean): Promise<(T & Record<string, unknown>)[]> {
    const out = tickets.map((t) => ({ ...t }) as T & Record<string, unknown>);
    const exts = this.extensions.filter((e) => detail || !e.detailOnly);
    const fields: Array<'sla' | 'survey' | 'repurchases'> = detail ? ['sla', 'survey', 'repurchases'] : ['sla'];
    for (const f of fields) {
      const ext = exts.find((e) => e.field === f);
      const values = ext && tickets.length ? await ext.load(m, tickets.map((t) => t.id)) : new Map<string, unknown>();
      const empty = ext ? ext.empty : f === 'survey' ? null : [];
      for (const t of out) (t as Record<string, unknown>)[f] = values.get(t.id) ?? empty;
    }
    return out;
  }
}
