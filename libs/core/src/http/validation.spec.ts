import { BadRequestException } from '@nestjs/common';
import { createValidationPipe, findInputProblem, MAX_INPUT_DEPTH } from './validation';

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('findInputProblem', () => {
  it('accepts ordinary input, emoji (paired surrogates) included', () => {
    expect(findInputProblem({ subject: 'Hi 👋', tags: ['a', 'b'], customer: { email: 'a@b.co' }, n: 1, ok: true, none: null })).toBeNull();
    expect(findInputProblem(nested(MAX_INPUT_DEPTH))).toBeNull();
  });

  it('names the first field holding NUL, in document order', () => {
    expect(findInputProblem({ a: 'ok', b: ['x', 'y\u0000'], c: 'z\u0000' })).toEqual({ field: 'b[1]', message: 'must not contain NUL characters' });
    expect(findInputProblem('x\u0000', 'id')).toEqual({ field: 'id', message: 'must not contain NUL characters' });
  });

  it.each([
    ['a high half alone', 'ab\uD800'],
    ['a low half alone', '\uDC00cd'],
    ['halves in the wrong order', '\uDC00\uD800'],
  ])('refuses a lone surrogate: %s', (_name, s) => {
    expect(findInputProblem({ customer: { name: s } })).toEqual({ field: 'customer.name', message: 'must not contain lone UTF-16 surrogates (invalid Unicode)' });
  });

  it('checks keys as well as values', () => {
    expect(findInputProblem({ customer: { 'x\u0000': 1 } })).toEqual({ field: 'customer.x\u0000', message: 'name must not contain NUL characters' });
    expect(findInputProblem({ '\uD800': 1 })?.message).toBe('name must not contain lone UTF-16 surrogates (invalid Unicode)');
  });

  it('refuses nesting deeper than the limit, without recursion (200,000 levels)', () => {
    expect(findInputProblem(nested(MAX_INPUT_DEPTH + 1))).toEqual({ field: expect.stringMatching(/^a\[0\]\.a/), message: `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels` });
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000));
    expect(findInputProblem(deep)?.message).toBe(`nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`);
  });

  it('does not walk Buffers or class instances', () => {
    expect(findInputProblem({ raw: Buffer.from('a\u0000b'), at: new Date() })).toBeNull();
  });
});

describe('the validation pipe', () => {
  const pipe = createValidationPipe();
  const refusal = async (value: unknown, type: 'body' | 'query' | 'param', data?: string) => {
    const e = await pipe.transform(value, { type, data, metatype: Object }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BadRequestException);
    return (e as BadRequestException).getResponse();
  };

  it('answers 400 naming the field for a lone surrogate, and naming the problem for deep nesting', async () => {
    expect(await refusal({ subject: 'x\uDFFF' }, 'body')).toEqual({
      message: 'subject must not contain lone UTF-16 surrogates (invalid Unicode)',
      errors: [{ field: 'subject', messages: ['subject must not contain lone UTF-16 surrogates (invalid Unicode)'] }],
    });
    expect(await refusal(nested(100_000), 'body')).toMatchObject({ message: expect.stringContaining(`nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`) });
    expect(await refusal('a\u0000', 'param', 'token')).toMatchObject({ message: 'token must not contain NUL characters' });
    expect(await refusal(['\u0000'], 'body')).toMatchObject({ message: 'body[0] must not contain NUL characters' });
    expect(await refusal({ q: 'a\u0000' }, 'query')).toMatchObject({ message: 'q must not contain NUL characters' });
    expect(await refusal('5\u0000', 'query', 'score')).toMatchObject({ message: 'score must not contain NUL characters' });
  });
});

describe('the validation pipe on a gateway handler', () => {
  // Nest runs global pipes on every gateway argument, the @ConnectedSocket() Socket included
  // (WsParamtype.SOCKET = 0, a circular object). Walking it overflowed the stack, so Nest emitted
  // 'exception' instead of the ack and /inbox clients timed out on presence.set and ticket.view.
  it('passes the socket and a plain message body through untouched', async () => {
    class Circular {
      server: { of: Circular } = { of: this };
      handshake = { auth: { token: 'x\u0000' } };
    }
    const socket = new Circular();
    const pipe = createValidationPipe();
    await expect(pipe.transform(socket, { type: 0 as unknown as 'custom', metatype: Object })).resolves.toBe(socket);
    const body = { ticketId: '00000000-0000-0000-0000-000000000000' };
    await expect(pipe.transform(body, { type: 3 as unknown as 'custom', metatype: Object })).resolves.toBe(body);
  });
});
