import { randomBytes } from 'node:crypto';

/**
 * UUIDv7 ids (RFC 9562: 48-bit Unix milliseconds, version, 74 random bits) for orders inserted in
 * bulk. Random v4 keys scatter every insert across the whole primary-key index, so once it
 * outgrows memory each row costs a page read; time-ordered keys append to its right edge. Ids made
 * within one millisecond are ordered by the random bits only: order among them carries no meaning.
 * PostgreSQL 18 has uuidv7(); this is for the 15–17 servers the product also runs on.
 */
export function uuidV7s(count: number, now = Date.now()): string[] {
  const bytes = randomBytes(16 * count);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const b = bytes.subarray(16 * i, 16 * i + 16);
    b.writeUIntBE(now, 0, 6);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    out[i] = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return out;
}
