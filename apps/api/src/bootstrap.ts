import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppConfig, createValidationPipe, HttpExceptionFilter, NoUnknownQueryInterceptor } from '@keepdesk/core';
import { ApiModule } from './api.module';

/**
 * Builds the API application (not listening yet): used by main.ts and by the e2e tests, so tests
 * run exactly what production runs.
 */
export async function createApiApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.bodyLimitBytes, trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy, routerOptions: { maxParamLength: 500 } });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, databaseUrl), adapter, {
    bufferLogs: true,
    rawBody: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.useGlobalInterceptors(new NoUnknownQueryInterceptor());
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Keepdesk API')
      .setDescription('Helpdesk with built-in retention tracking. See SPEC.md for the contract.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', name: 'X-Api-Key', in: 'header' }, 'apiKey')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}

/** TRUST_PROXY=n: believe the n proxies nearest to us. */
function trustHops(n: number) {
  return (_address: string, hop: number) => hop < n;
}
