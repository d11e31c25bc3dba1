/**
 * Room naming and routing, pure so it can be unit-tested. An event goes to the room of the
 * ticket's team, the assignee's own room, and the supervisors' room; Socket.IO sends it once to a
 * socket that is in several of them.
 */
export const SUPERVISORS_ROOM = 'supervisors';
export const teamRoom = (teamId: string) => `team:${teamId}`;
export const userRoom = (userId: string) => `user:${userId}`;
export const ticketRoom = (ticketId: string) => `ticket:${ticketId}`;

export interface InboxUser {
  userId: string;
  role: 'agent' | 'supervisor' | 'admin';
  teamIds: string[];
  name: string;
}

export const seesEverything = (u: Pick<InboxUser, 'role'>) => u.role === 'supervisor' || u.role === 'admin';

/** The rooms a connection joins: its own user room, and either all tickets or its teams'. */
export function roomsForUser(u: InboxUser): string[] {
  const rooms = [userRoom(u.userId)];
  if (seesEverything(u)) rooms.push(SUPERVISORS_ROOM);
  else rooms.push(...u.teamIds.map(teamRoom));
  return rooms;
}

export interface Routed {
  teamId: string | null;
  assigneeId: string | null;
  data?: Record<string, unknown> | null;
}

/**
 * The rooms an event goes to. A move to another team or assignee is also sent to the previous
 * team/assignee (read from the event's data when the writer recorded it), so their queues drop
 * the ticket; every later event follows the ticket's current team only.
 */
export function roomsForEvent(e: Routed): string[] {
  const rooms = new Set<string>([SUPERVISORS_ROOM]);
  if (e.teamId) rooms.add(teamRoom(e.teamId));
  if (e.assigneeId) rooms.add(userRoom(e.assigneeId));
  for (const id of previousIds(e.data, 'teamId')) rooms.add(teamRoom(id));
  for (const id of previousIds(e.data, 'assigneeId')) rooms.add(userRoom(id));
  return [...rooms];
}

/** The shapes the tickets lib records: {changes:{teamId:{from,to}}}, {previousAssigneeId}; also {previous:{teamId}}. */
function previousIds(data: Record<string, unknown> | null | undefined, field: 'teamId' | 'assigneeId'): string[] {
  if (!data || typeof data !== 'object') return [];
  const out: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v) out.push(v);
  };
  const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);
  push(obj(data.previous)?.[field]);
  push(obj(data.from)?.[field]);
  push(obj(obj(data.changes)?.[field])?.from);
  const snake = field === 'teamId' ? 'team_id' : 'assignee_id';
  push(obj(data.previous)?.[snake]);
  if (field === 'assigneeId') push(data.previousAssigneeId);
  return out;
}

/** May this user see events of a ticket with that team/assignee? (ticket.view, replay filter.) */
export function entitled(u: InboxUser, t: { teamId: string | null; assigneeId: string | null }): boolean {
  if (seesEverything(u)) return true;
  if (t.assigneeId && t.assigneeId === u.userId) return true;
  return !!t.teamId && u.teamIds.includes(t.teamId);
}

/** Replay filter: would a socket of this user have been in one of the event's rooms? */
export function userGets(u: InboxUser, e: Routed): boolean {
  const mine = new Set(roomsForUser(u));
  return roomsForEvent(e).some((r) => mine.has(r));
}
