import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Admins, Supervisors } from '@keepdesk/core';
import { SurveySettingsDto, SurveySettingsQuery, SurveySummaryQuery } from './surveys.dto';
import { SurveySettingsService } from './survey-settings.service';
import { SurveySummaryService } from './survey-summary.service';

@ApiTags('surveys')
@Controller('api')
export class SurveysController {
  constructor(
    private readonly settings: SurveySettingsService,
    private readonly summary: SurveySummaryService,
  ) {}

  @Admins()
  @Put('survey-settings')
  put(@Body() dto: SurveySettingsDto) {
    return this.settings.put(dto);
  }

  @Supervisors()
  @Get('survey-settings')
  get(@Query() q: SurveySettingsQuery) {
    return this.settings.get(q.teamId ?? null);
  }

  @Supervisors()
  @Get('surveys/summary')
  getSummary(@Query() q: SurveySummaryQuery) {
    return this.summary.summary(q);
  }
}
