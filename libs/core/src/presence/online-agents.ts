/**
 * Who has a live inbox connection. The inbox lib plugs the real source in with use() (Redis
 * leases, or memory in embedded mode); without it nobody is online and assignment relies on the
 * `available` flag alone.
 */
export interface OnlineAgentsSource {
  onlineAmong(userIds: string[]): Promise<Set<string>>;
}

export class OnlineAgents implements OnlineAgentsSource {
  private impl: OnlineAgentsSource | null = null;

  use(impl: OnlineAgentsSource): void {
    this.impl = impl;
  }

  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    return this.impl && userIds.length ? this.impl.onlineAmong(userIds) : new Set();
  }
}
