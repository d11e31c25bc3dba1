import { Module } from '@nestjs/common';
import { IdentityCoreModule } from '@keepdesk/identity';
import { FeedReader } from './feed-reader.service';
import { InboxGateway } from './inbox.gateway';
import { INBOX_SHARED_PROVIDERS, viewingStoreProvider } from './inbox-publisher';
import { InboxRepository } from './inbox.repository';

/**
 * API side: the /inbox Socket.IO namespace (auth, rooms, replay, presence, viewing), the feed
 * reader, and the real EventFeed/OnlineAgents plugged into core's seams.
 */
@Module({
  imports: [IdentityCoreModule],
  providers: [...INBOX_SHARED_PROVIDERS, viewingStoreProvider, InboxRepository, FeedReader, InboxGateway],
})
export class InboxModule {}

/**
 * Worker side: events written by jobs (SLA, surveys) wake every API instance's feed reader, and
 * round-robin assignment done in jobs sees who is online.
 */
@Module({ providers: [...INBOX_SHARED_PROVIDERS] })
export class InboxWorkerModule {}
