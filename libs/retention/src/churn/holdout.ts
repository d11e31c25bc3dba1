import { createHash } from 'node:crypto';

/**
 * Holdout assignment: a hash of (run, customer) mapped to [0, 100). Random across customers, but
 * deterministic, so a retried run puts everyone in the same group again.
 */
export function inHoldout(runKey: string, customerId: string, holdoutPercent: number): boolean {
  if (holdoutPercent <= 0) return false;
  if (holdoutPercent >= 100) return true;
  const h = createHash('sha256').update(`${runKey}|${customerId}`).digest();
  return (h.readUInt32BE(0) / 2 ** 32) * 100 < holdoutPercent;
}
