import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Admins, Supervisors } from '@keepdesk/core';
import { ChurnSettingsDto, FollowUpsQueryDto, UpliftQueryDto } from './churn.dto';
import { ChurnService } from './churn.service';

@ApiTags('churn')
@Controller('api')
export class ChurnController {
  constructor(private readonly churn: ChurnService) {}

  @Get('churn-settings')
  @Supervisors()
  getSettings() {
    return this.churn.settings();
  }

  @Put('churn-settings')
  @Admins()
  putSettings(@Body() dto: ChurnSettingsDto) {
    return this.churn.saveSettings({ ...dto, teamId: dto.teamId ?? null });
  }

  @Post('churn/run')
  @HttpCode(202)
  @Admins()
  @ApiOperation({ summary: 'Score customers now and create follow-ups (job churn.run); 202 with the run and job ids' })
  run() {
    return this.churn.requestRun();
  }

  @Get('churn/follow-ups')
  @Supervisors()
  followUps(@Query() q: FollowUpsQueryDto) {
    return this.churn.followUps(q.cursor ?? null, q.limit ?? 50);
  }

  @Get('churn/uplift')
  @Supervisors()
  @ApiOperation({ summary: 'Repurchase rate of treated vs holdout customers, and the difference with a 95% Newcombe interval' })
  uplift(@Query() q: UpliftQueryDto) {
    return this.churn.uplift(q.window ?? 30);
  }
}
