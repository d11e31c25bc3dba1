import { firstMatch, policyMatches } from './policy-match';

const ticket = { priority: 'high', channel: 'email', teamId: 'team-a', tags: ['vip', 'returns'] };

describe('policy matching', () => {
  it.each([
    [{}, true],
    [{ priorities: ['high', 'urgent'] }, true],
    [{ priorities: ['low'] }, false],
    [{ channels: ['chat'] }, false],
    [{ channels: [] }, true],
    [{ teamIds: ['team-a'] }, true],
    [{ teamIds: ['team-b'] }, false],
    [{ tags: ['returns'] }, true],
    [{ tags: ['billing'] }, false],
    [{ priorities: ['high'], channels: ['email'], teamIds: ['team-a'], tags: ['vip'] }, true],
    [{ priorities: ['high'], channels: ['web'] }, false],
  ])('%j matches: %s', (match, expected) => {
    expect(policyMatches(match, ticket)).toBe(expected);
  });

  it('a ticket without a team does not match a team condition', () => {
    expect(policyMatches({ teamIds: ['team-a'] }, { ...ticket, teamId: null })).toBe(false);
  });

  it('the first policy by position wins', () => {
    const policies = [
      { id: 'vip', match: { tags: ['vip'] } },
      { id: 'urgent', match: { priorities: ['high'] } },
      { id: 'all', match: {} },
    ];
    expect(firstMatch(policies, ticket)?.id).toBe('vip');
    expect(firstMatch(policies, { ...ticket, tags: [] })?.id).toBe('urgent');
    expect(firstMatch(policies, { ...ticket, tags: [], priority: 'low' })?.id).toBe('all');
    expect(firstMatch(policies.slice(0, 2), { ...ticket, tags: [], priority: 'low' })).toBeNull();
  });
});
