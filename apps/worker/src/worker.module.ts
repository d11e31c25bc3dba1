import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, CoreModule, JobRunner } from '@keepdesk/core';
import { IdentityCoreModule } from '@keepdesk/identity';
import { dataSourceOptions } from '@keepdesk/schema';
import { TicketsWorkerModule } from '@keepdesk/tickets';
import { InboxWorkerModule } from '@keepdesk/inbox';
import { SlaWorkerModule } from '@keepdesk/sla';
import { RetentionWorkerModule } from '@keepdesk/retention';
import { SurveysWorkerModule } from '@keepdesk/surveys';
import { WebhooksWorkerModule } from '@keepdesk/webhooks';

/** Domain modules of the worker app (job handlers and schedules). */
const DOMAIN_MODULES: DynamicModule['imports'] = [
  IdentityCoreModule,
  TicketsWorkerModule,
  InboxWorkerModule,
  SlaWorkerModule,
  RetentionWorkerModule,
  SurveysWorkerModule,
  WebhooksWorkerModule,
];

/** The worker app: BullMQ processors and schedules; no HTTP routes. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config),
        DiscoveryModule,
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel } }),
        TypeOrmModule.forRoot(dataSourceOptions({ url: databaseUrl, poolSize: 20, applicationName: 'keepdesk-worker' })),
        ...(DOMAIN_MODULES ?? []),
      ],
      providers: [JobRunner],
    };
  }
}
