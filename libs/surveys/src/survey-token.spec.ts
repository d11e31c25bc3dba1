import { deriveTokenKey, signSurveyToken, verifySurveyToken } from './survey-token';

describe('survey tokens', () => {
  const key = deriveTokenKey('a-long-enough-jwt-secret');
  const claims = {
    surveyId: '2b7c1c8e-2f51-4e39-9a57-0a3f1b7e9d11',
    ticketId: 'f0e1d2c3-b4a5-4968-8776-655443322110',
    expiresAt: new Date('2030-01-01T00:00:00Z'),
  };

  it('round-trips the survey, the ticket and the expiry', () => {
    const t = signSurveyToken(key, claims);
    expect(t.length).toBeLessThan(80);
    expect(verifySurveyToken(key, t, new Date('2029-01-01'))).toEqual({ ok: true, claims });
  });

  it('rejects a token signed with another secret', () => {
    const t = signSurveyToken(deriveTokenKey('another-jwt-secret-xx'), claims);
    expect(verifySurveyToken(key, t, new Date('2029-01-01'))).toEqual({ ok: false, reason: 'forged' });
  });

  it('rejects a token whose payload was edited (another ticket)', () => {
    const [p, m] = signSurveyToken(key, claims).split('.');
    const bytes = Buffer.from(p, 'base64url');
    bytes[20] ^= 1;
    expect(verifySurveyToken(key, `${bytes.toString('base64url')}.${m}`, new Date('2029-01-01')).ok).toBe(false);
  });

  it('reports an expired token as expired, not forged', () => {
    const t = signSurveyToken(key, claims);
    expect(verifySurveyToken(key, t, new Date('2030-01-01T00:00:01Z'))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('rejects junk without throwing', () => {
    for (const junk of ['', 'abc', 'a.b', '....', 'x'.repeat(500), '<script>.x']) {
      expect(verifySurveyToken(key, junk).ok).toBe(false);
    }
  });
});
