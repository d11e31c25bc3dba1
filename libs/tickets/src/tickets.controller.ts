import { Body, Controller, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, AnyUser, CurrentPrincipal, Principal, UuidParam } from '@keepdesk/core';
import { CustomersService } from './customers.service';
import { CreateMessageDto, CreateTicketDto, CustomerMessageDto, InboundEmailDto, ListTicketsQuery, UpdateTicketDto, UpsertCustomerDto } from './tickets.dto';
import { TicketsService } from './tickets.service';


@ApiTags('tickets')
@ApiBearerAuth()
@Controller('api/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Access({ roles: ['agent', 'supervisor', 'admin'], apiKey: true })
  @Post()
  create(@Body() dto: CreateTicketDto, @CurrentPrincipal() p: Principal) {
    return this.tickets.create(dto, p);
  }

  @Access({ roles: ['agent', 'supervisor', 'admin'], apiKey: true })
  @Get()
  list(@Query() q: ListTicketsQuery, @CurrentPrincipal() p: Principal) {
    return this.tickets.list(q, p);
  }

  @Access({ roles: ['agent', 'supervisor', 'admin'], apiKey: true })
  @Get(':id')
  get(@UuidParam('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.tickets.get(id, p);
  }

  @AnyUser()
  @Patch(':id')
  update(@UuidParam('id') id: string, @Body() dto: UpdateTicketDto, @CurrentPrincipal() p: Principal) {
    return this.tickets.update(id, dto, p);
  }

  @AnyUser()
  @Post(':id/messages')
  message(@UuidParam('id') id: string, @Body() dto: CreateMessageDto, @CurrentPrincipal() p: Principal) {
    return this.tickets.addAgentMessage(id, dto.body, dto.kind, p);
  }

  /** The customer replied (an integration relays it). */
  @Access({ apiKey: 'only' })
  @Post(':id/customer-messages')
  async customerMessage(@UuidParam('id') id: string, @Body() dto: CustomerMessageDto, @CurrentPrincipal() p: Principal) {
    return this.tickets.addCustomerMessage(id, dto.body, p);
  }
}

@ApiTags('inbound email')
@ApiBearerAuth()
@Controller('api/inbound')
export class InboundController {
  constructor(private readonly tickets: TicketsService) {}

  /** 201 when a ticket was created, 200 when the mail joined an existing one (or was seen before). */
  @Access({ apiKey: 'only' })
  @Post('email')
  async email(@Body() dto: InboundEmailDto, @Res({ passthrough: true }) res: { status(n: number): unknown }) {
    const r = await this.tickets.inboundEmail(dto);
    res.status(r.created ? 201 : 200);
    return r;
  }
}

@ApiTags('customers')
@ApiBearerAuth()
@Controller('api/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  /** Upsert by externalId, else case-insensitive email. */
  @Access({ roles: ['agent', 'supervisor', 'admin'], apiKey: true })
  @Post()
  @HttpCode(200)
  upsert(@Body() dto: UpsertCustomerDto) {
    return this.customers.upsert(dto);
  }

  @Access({ roles: ['agent', 'supervisor', 'admin'], apiKey: true })
  @Get(':id')
  get(@UuidParam('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.customers.get(id, p);
  }
}
