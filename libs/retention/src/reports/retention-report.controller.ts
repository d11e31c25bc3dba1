import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { invalid, Supervisors } from '@keepdesk/core';
import { Cohort } from './group-keys';
import { RepurchaseQueryDto, RepurchaseTicketsQueryDto, TimeToRepurchaseQueryDto } from './retention-report.dto';
import { RetentionReportService } from './retention-report.service';

function cohortOf(q: { window?: number; from?: string; to?: string; asOf?: string }): Cohort {
  const from = q.from ? new Date(q.from) : null;
  const to = q.to ? new Date(q.to) : null;
  if (from && to && from >= to) throw invalid('from', 'must be before to');
  return { window: q.window ?? 30, from, to, asOf: q.asOf ? new Date(q.asOf) : new Date() };
}

@ApiTags('retention')
@Controller('api/retention')
export class RetentionReportController {
  constructor(private readonly reports: RetentionReportService) {}

  @Get('repurchase')
  @Supervisors()
  @ApiOperation({ summary: 'Repurchase rate at a window, per group, with 95% Wilson intervals and a drill-down filter per row' })
  repurchase(@Query() q: RepurchaseQueryDto) {
    return this.reports.repurchase(q.groupBy ?? 'none', cohortOf(q));
  }

  @Get('repurchase/tickets')
  @Supervisors()
  @ApiOperation({ summary: 'The tickets behind a repurchase report row (use the row filter)' })
  tickets(@Query() q: RepurchaseTicketsQueryDto) {
    const groupBy = q.groupBy ?? 'none';
    const missing = q.missing === 'true';
    if (groupBy !== 'none' && !missing && q.key === undefined) throw invalid('key', 'is required with groupBy (or missing=true)');
    return this.reports.tickets(groupBy, missing ? null : (q.key ?? null), cohortOf(q), q.outcome ?? 'matured', q.cursor ?? null, q.limit ?? 50);
  }

  @Get('time-to-repurchase')
  @Supervisors()
  @ApiOperation({ summary: 'Kaplan–Meier curves of days from ticket to next order, per group, censored at asOf' })
  timeToRepurchase(@Query() q: TimeToRepurchaseQueryDto) {
    const { from, to, asOf } = cohortOf(q);
    return this.reports.timeToRepurchase(q.groupBy ?? 'none', { from, to, asOf }, q.maxDays ?? 365);
  }
}
