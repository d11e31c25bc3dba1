import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IMPORT_TYPES } from './orders.controller';

/**
 * Fastify buffers bodies it knows how to parse. For the import's content types we register a
 * parser that hands the route the request stream untouched, so a million-row file is read as it
 * arrives (and not subject to the JSON body limit).
 */
@Injectable()
export class ImportBodyParser implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.host.httpAdapter?.getInstance?.() as
      | { hasContentTypeParser(t: string): boolean; addContentTypeParser(t: string, fn: (req: unknown, payload: unknown, done: (e: Error | null, body?: unknown) => void) => void): void }
      | undefined;
    if (!instance || typeof instance.addContentTypeParser !== 'function') return;
    for (const type of Object.keys(IMPORT_TYPES)) {
      if (!instance.hasContentTypeParser(type)) instance.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    }
  }
}
