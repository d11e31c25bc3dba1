import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Admins, AnyUser, CurrentPrincipal, Principal, Supervisors, UuidParam } from '@keepdesk/core';
import { BreachesQuery, CreateBusinessHoursDto, CreateSlaPolicyDto, DeadlineQuery, SummaryQuery, UpdateSlaPolicyDto } from './dto/sla.dto';
import { SlaService } from './sla.service';

@ApiTags('sla')
@ApiBearerAuth()
@Controller('api/sla-policies')
export class SlaPoliciesController {
  constructor(private readonly sla: SlaService) {}

  @Admins()
  @Post()
  create(@Body() dto: CreateSlaPolicyDto) {
    return this.sla.createPolicy(dto);
  }

  @Supervisors()
  @Get()
  list() {
    return this.sla.listPolicies();
  }

  @Supervisors()
  @Get(':id')
  get(@UuidParam('id') id: string) {
    return this.sla.getPolicy(id);
  }

  @Admins()
  @Patch(':id')
  update(@UuidParam('id') id: string, @Body() dto: UpdateSlaPolicyDto) {
    return this.sla.updatePolicy(id, dto);
  }
}

@ApiTags('sla')
@ApiBearerAuth()
@Controller('api/business-hours')
export class BusinessHoursController {
  constructor(private readonly sla: SlaService) {}

  @Admins()
  @Post()
  create(@Body() dto: CreateBusinessHoursDto) {
    return this.sla.createHours(dto);
  }

  @Supervisors()
  @Get()
  list() {
    return this.sla.listHours();
  }

  @Supervisors()
  @Get(':id')
  get(@UuidParam('id') id: string) {
    return this.sla.getHours(id);
  }

  @AnyUser()
  @Get(':id/deadline')
  deadline(@UuidParam('id') id: string, @Query() q: DeadlineQuery) {
    return this.sla.deadline(id, q);
  }
}

@ApiTags('sla')
@ApiBearerAuth()
@Controller('api/sla')
export class SlaReportsController {
  constructor(private readonly sla: SlaService) {}

  /** Supervisors see every breach; agents see their teams' and their own tickets'. */
  @AnyUser()
  @Get('breaches')
  breaches(@Query() q: BreachesQuery, @CurrentPrincipal() p: Principal) {
    return this.sla.breaches(q, p);
  }

  @Supervisors()
  @Get('summary')
  summary(@Query() q: SummaryQuery) {
    return this.sla.summary(q);
  }
}
