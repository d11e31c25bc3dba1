import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, invalid, Public } from '@keepdesk/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { CreateOrderDto, ImportReportDto, OrderDto } from './orders.dto';
import { normalizeOrder, OrderInputError } from './order-input';
import { OrderWebhookGuard } from './order-webhook.guard';
import { ImportFormat, OrdersService } from './orders.service';

@ApiTags('orders')
@Controller('api')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post('orders')
  @Access({ apiKey: 'only' })
  @ApiOperation({ summary: 'Record an order (idempotent on externalId: 201 new, 200 already recorded)' })
  @ApiResponse({ status: 201, type: OrderDto })
  async create(@Body() dto: CreateOrderDto, @Res({ passthrough: true }) res: FastifyReply): Promise<OrderDto> {
    const { created, order } = await this.orders.create(toInput(dto), 'api');
    res.status(created ? 201 : 200);
    return order;
  }

  @Post('webhooks/orders')
  @Public()
  @UseGuards(OrderWebhookGuard)
  @ApiOperation({ summary: 'Signed order webhook: hex HMAC-SHA256 of `timestamp + "." + raw body` with ORDERS_WEBHOOK_SECRET' })
  @ApiHeader({ name: 'X-Keepdesk-Timestamp', description: 'unix seconds; refused when more than 300 s away' })
  @ApiHeader({ name: 'X-Keepdesk-Signature', description: 'hex HMAC-SHA256' })
  @ApiResponse({ status: 201, type: OrderDto })
  async webhook(@Body() dto: CreateOrderDto, @Res({ passthrough: true }) res: FastifyReply): Promise<OrderDto> {
    const { created, order } = await this.orders.create(toInput(dto), 'webhook');
    res.status(created ? 201 : 200);
    return order;
  }

  @Post('orders/import')
  @Access({ apiKey: 'only' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Bulk import, streamed: NDJSON of the POST /api/orders shape, or CSV externalId,customerExternalId,customerEmail,placedAt,total,currency' })
  @ApiConsumes('application/x-ndjson', 'text/csv')
  @ApiBody({ schema: { type: 'string' } })
  @ApiResponse({ status: 200, type: ImportReportDto })
  async import(@Req() req: FastifyRequest): Promise<ImportReportDto> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format: ImportFormat | null = IMPORT_TYPES[type] ?? null;
    if (!format) throw invalid('Content-Type', `must be application/x-ndjson or text/csv, got "${type || 'none'}"`);
    const body = req.body;
    if (!(body instanceof Readable)) throw invalid('body', 'must be streamed as application/x-ndjson or text/csv');
    return this.orders.import(body, format);
  }
}

export const IMPORT_TYPES: Record<string, ImportFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
};

function toInput(dto: CreateOrderDto) {
  try {
    return normalizeOrder({ ...dto, customer: { ...dto.customer } });
  } catch (e) {
    if (e instanceof OrderInputError) throw invalid(e.field, e.message.slice(e.field.length + 1));
    throw e;
  }
}
