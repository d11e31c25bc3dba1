import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppConfig, CoreModule, HealthController, MetricsController } from '@keepdesk/core';
import { IdentityModule } from '@keepdesk/identity';
import { dataSourceOptions } from '@keepdesk/schema';
import { TicketsModule } from '@keepdesk/tickets';
import { InboxModule } from '@keepdesk/inbox';
import { SlaModule } from '@keepdesk/sla';
import { RetentionModule } from '@keepdesk/retention';
import { SurveysModule } from '@keepdesk/surveys';
import { WebhooksModule } from '@keepdesk/webhooks';
import { WebController } from './web.controller';

/** Domain modules of the API app (HTTP routes, the socket gateway, hooks). */
const DOMAIN_MODULES: DynamicModule['imports'] = [
  IdentityModule,
  TicketsModule,
  InboxModule,
  SlaModule,
  RetentionModule,
  SurveysModule,
  WebhooksModule,
];

/** The API app: HTTP, Socket.IO, web assets; no job processors. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req, res) => {
              const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
              res.setHeader('x-request-id', id);
              return id;
            },
            autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/metrics' },
            redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions({ url: databaseUrl, readUrl: config.databaseReadUrl, poolSize: 20, applicationName: 'keepdesk-api' })),
        ...(DOMAIN_MODULES ?? []),
      ],
      controllers: [HealthController, MetricsController, WebController],
    };
  }
}
