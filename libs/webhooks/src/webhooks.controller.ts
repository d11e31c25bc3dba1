import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Admins, CurrentPrincipal, Principal, UuidParam } from '@keepdesk/core';
import { CreateWebhookDto } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Admins()
  @Post()
  create(@Body() dto: CreateWebhookDto, @CurrentPrincipal() p: Principal) {
    return this.webhooks.create(dto, p.kind === 'user' ? p.userId : null);
  }

  @Admins()
  @Get()
  list() {
    return this.webhooks.list();
  }

  @Admins()
  @Get(':id/deliveries')
  deliveries(@UuidParam('id') id: string) {
    return this.webhooks.deliveries(id);
  }

  @Admins()
  @Delete(':id')
  @HttpCode(204)
  async remove(@UuidParam('id') id: string): Promise<void> {
    await this.webhooks.remove(id);
  }
}
