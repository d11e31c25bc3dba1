import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnyUser, UuidParam } from '@keepdesk/core';
import { CustomerHealthService } from './customer-health.service';

@ApiTags('retention')
@Controller('api/customers')
export class CustomerHealthController {
  constructor(private readonly health: CustomerHealthService) {}

  /** Agents see it too: it is the context they need when working this customer's ticket. */
  @Get(':id/health')
  @AnyUser()
  @ApiOperation({ summary: 'P(alive), expected purchases in 90 days, expected order value, CLV (52 weeks), churn risk with service signals' })
  get(@UuidParam('id') id: string) {
    return this.health.health(id);
  }
}
