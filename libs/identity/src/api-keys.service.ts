import { Injectable } from '@nestjs/common';
import { notFound } from '@keepdesk/core';
import { API_KEY_PREFIX, hashApiKey, newApiKey } from './auth-tokens.service';
import { IdentityRepository } from './identity.repository';

/** Verified keys are cached briefly: integrations call on every order and ticket. */
const CACHE_MS = 5000;

@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { id: string; name: string; until: number }>();
  /** Lookups under way: a burst of requests with one key (or an expired entry) costs one query, not one each. */
  private readonly lookups = new Map<string, Promise<{ id: string; name: string } | null>>();
  /** Bumped by every revocation: a lookup that raced one does not cache what it read. */
  private revocations = 0;

  constructor(private readonly repo: IdentityRepository) {}

  static looksLikeKey(token: string): boolean {
    return token.startsWith(API_KEY_PREFIX);
  }

  async create(name: string, createdBy: string | null) {
    const key = newApiKey();
    const row = await this.repo.insertApiKey(name, hashApiKey(key), key.slice(0, 10), createdBy);
    return { ...row!, key };
  }

  list() {
    return this.repo.listApiKeys();
  }

  async revoke(id: string): Promise<void> {
    const hash = await this.repo.revokeApiKey(id);
    if (!hash) throw notFound('API key', id);
    this.revocations++;
    this.cache.delete(hash);
    this.lookups.delete(hash);
  }

  /**
   * The key's id and name, or null. Revocation is immediate on this instance and takes at most
   * CACHE_MS on the others.
   */
  async verify(key: string): Promise<{ id: string; name: string } | null> {
    if (!ApiKeysService.looksLikeKey(key) || key.length > 200) return null;
    const hash = hashApiKey(key);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit;
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      lookup = this.lookup(hash).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, lookup);
    }
    return lookup;
  }

  private async lookup(hash: string): Promise<{ id: string; name: string } | null> {
    const revocations = this.revocations;
    const row = await this.repo.findActiveApiKey(hash);
    if (!row || revocations !== this.revocations) {
      this.cache.delete(hash);
      return row ?? null;
    }
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(hash, { ...row, until: Date.now() + CACHE_MS });
    return row;
  }
}
