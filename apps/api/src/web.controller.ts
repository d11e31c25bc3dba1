import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '@keepdesk/core';

const WEB_ROOT = join(process.cwd(), 'apps', 'web', 'public');

/** The web app's entry page (the agent inbox); static files are served from apps/web/public. */
@ApiExcludeController()
@Controller()
export class WebController {
  private page: string | null = null;

  @Public()
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index() {
    this.page ??= readFileSync(join(WEB_ROOT, 'index.html'), 'utf8');
    return this.page;
  }
}
