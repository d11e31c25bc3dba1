import type { SlaPolicyMatch } from '../sla.entities';

/** The ticket fields a policy matches on. */
export interface MatchableTicket {
  priority: string;
  channel: string;
  teamId: string | null;
  tags: string[];
}

/**
 * Whether a policy's conditions hold: every non-empty list must contain the ticket's value (tags:
 * any one of the ticket's tags). A policy with no conditions matches every ticket (a catch-all).
 */
export function policyMatches(match: SlaPolicyMatch, t: MatchableTicket): boolean {
  if (match.priorities?.length && !match.priorities.includes(t.priority)) return false;
  if (match.channels?.length && !match.channels.includes(t.channel)) return false;
  if (match.teamIds?.length && (t.teamId === null || !match.teamIds.includes(t.teamId))) return false;
  if (match.tags?.length && !t.tags.some((tag) => match.tags!.includes(tag))) return false;
  return true;
}

/** First match by position (the list must be sorted by position). */
export function firstMatch<P extends { match: SlaPolicyMatch }>(policies: P[], t: MatchableTicket): P | null {
  return policies.find((p) => policyMatches(p.match, t)) ?? null;
}
