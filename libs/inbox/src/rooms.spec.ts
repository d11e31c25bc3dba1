import { entitled, InboxUser, roomsForEvent, roomsForUser, SUPERVISORS_ROOM, userGets } from './rooms';
import { viewersOf } from './viewing.store';

const agent: InboxUser = { userId: 'u1', role: 'agent', teamIds: ['t1', 't2'], name: 'Ann' };
const sup: InboxUser = { userId: 's1', role: 'supervisor', teamIds: [], name: 'Sue' };

describe('inbox rooms', () => {
  it('an agent joins their own room and their teams; supervisors and admins join the room that gets everything', () => {
    expect(roomsForUser(agent)).toEqual(['user:u1', 'team:t1', 'team:t2']);
    expect(roomsForUser(sup)).toEqual(['user:s1', SUPERVISORS_ROOM]);
    expect(roomsForUser({ ...sup, role: 'admin' })).toContain(SUPERVISORS_ROOM);
  });

  it('an event goes to supervisors, the ticket team and the assignee; a move also to the previous team and assignee', () => {
    expect(roomsForEvent({ teamId: 't9', assigneeId: 'u5' }).sort()).toEqual(['supervisors', 'team:t9', 'user:u5']);
    expect(roomsForEvent({ teamId: null, assigneeId: null })).toEqual(['supervisors']);
    const moved = roomsForEvent({ teamId: 't9', assigneeId: null, data: { changes: { teamId: { from: 't1', to: 't9' } } } });
    expect(moved.sort()).toEqual(['supervisors', 'team:t1', 'team:t9']);
    expect(roomsForEvent({ teamId: 't9', assigneeId: 'u2', data: { previousAssigneeId: 'u1' } })).toContain('user:u1');
  });

  it('replay gives a user exactly what their rooms would have received live', () => {
    expect(userGets(agent, { teamId: 't1', assigneeId: null })).toBe(true);
    expect(userGets(agent, { teamId: 't3', assigneeId: 'u1' })).toBe(true);
    expect(userGets(agent, { teamId: 't3', assigneeId: 'u7' })).toBe(false);
    expect(userGets(agent, { teamId: 't3', assigneeId: null, data: { changes: { teamId: { from: 't2', to: 't3' } } } })).toBe(true);
    expect(userGets(sup, { teamId: 't3', assigneeId: null })).toBe(true);
  });

  it('only agents of the team, the assignee and supervisors may view a ticket', () => {
    expect(entitled(agent, { teamId: 't2', assigneeId: null })).toBe(true);
    expect(entitled(agent, { teamId: 'tX', assigneeId: 'u1' })).toBe(true);
    expect(entitled(agent, { teamId: 'tX', assigneeId: null })).toBe(false);
    expect(entitled(sup, { teamId: 'tX', assigneeId: null })).toBe(true);
  });
});

describe('viewers of a ticket', () => {
  it('lists each user once, typing if any of their tabs types, without expired entries', () => {
    const now = 1000;
    const v = viewersOf(
      [
        { userId: 'b', name: 'B', typingUntil: 0, expiresAt: 2000 },
        { userId: 'a', name: 'A', typingUntil: 0, expiresAt: 2000 },
        { userId: 'a', name: 'A', typingUntil: 1500, expiresAt: 2000 },
        { userId: 'c', name: 'C', typingUntil: 1500, expiresAt: 900 },
      ],
      now,
    );
    expect(v).toEqual([
      { userId: 'a', name: 'A', typing: true },
      { userId: 'b', name: 'B', typing: false },
    ]);
  });
});
