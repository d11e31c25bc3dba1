import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from './webhook-signature';

describe('webhook signature', () => {
  const body = '{"id":"1","type":"survey.responded"}';

  it('is the hex HMAC-SHA256 of "timestamp.body"', () => {
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(signPayload('s3cret', 1700000000, body)).toBe(expected);
  });

  it('verifies its own signature within the tolerance', () => {
    const sig = signPayload('s3cret', '1700000000', body);
    expect(verifySignature('s3cret', '1700000000', body, sig, { now: 1700000100 })).toBe(true);
  });

  it('rejects a wrong secret, a changed body, a stale timestamp and junk', () => {
    const sig = signPayload('s3cret', '1700000000', body);
    expect(verifySignature('other', '1700000000', body, sig, { now: 1700000000 })).toBe(false);
    expect(verifySignature('s3cret', '1700000000', body + ' ', sig, { now: 1700000000 })).toBe(false);
    expect(verifySignature('s3cret', '1700000000', body, sig, { now: 1700001000 })).toBe(false);
    expect(verifySignature('s3cret', 'abc', body, sig)).toBe(false);
    expect(verifySignature('s3cret', '1700000000', body, 'zz', { now: 1700000000 })).toBe(false);
    expect(verifySignature('s3cret', undefined, body, sig)).toBe(false);
  });
});
