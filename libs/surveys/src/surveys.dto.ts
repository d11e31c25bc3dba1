import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsInstant, IsOptionalNotNull } from '@keepdesk/core';
import { LOCALES } from './survey-i18n';
import { SURVEY_CHANNELS, SURVEY_TYPES } from './survey-types';

/** PUT /api/survey-settings: fields left out keep their current (or default) value. */
export class SurveySettingsDto {
  @ApiPropertyOptional({ description: 'team these settings apply to; omitted = the workspace default' })
  @IsOptional()
  @IsUUID()
  teamId?: string;

  @ApiPropertyOptional({ enum: SURVEY_TYPES })
  @IsOptionalNotNull()
  @IsIn(SURVEY_TYPES)
  type?: (typeof SURVEY_TYPES)[number];

  @ApiPropertyOptional({ example: 60, description: 'minutes after the ticket is solved; fractions allowed' })
  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(60 * 24 * 30)
  delayMinutes?: number;

  @ApiPropertyOptional({ example: 14 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(365)
  expiresDays?: number;

  @ApiPropertyOptional({ example: 48, description: '0 = no reminder' })
  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(24 * 60)
  reminderAfterHours?: number;

  @ApiPropertyOptional({ example: 7, description: 'at most one survey per customer in this many days' })
  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(365)
  suppressDays?: number;

  @ApiPropertyOptional({ enum: SURVEY_CHANNELS })
  @IsOptionalNotNull()
  @IsIn(SURVEY_CHANNELS)
  channel?: (typeof SURVEY_CHANNELS)[number];

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: "low-score bound overriding SPEC's (CSAT ≤ 2, NPS ≤ 6, CES ≥ 5); null resets it" })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  lowScoreThreshold?: number | null;

  @ApiPropertyOptional({ enum: LOCALES, description: 'language for customers without a locale' })
  @IsOptionalNotNull()
  @IsIn(LOCALES)
  defaultLocale?: (typeof LOCALES)[number];
}

export class SurveySettingsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  teamId?: string;
}

export class SurveySummaryQuery {
  @ApiProperty({ example: '2026-01-01T00:00:00Z', required: false })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiProperty({ example: '2026-02-01T00:00:00Z', required: false })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ example: 'agent', description: 'comma-separated: agent, team, channel, day, week, month' })
  @IsOptional()
  @IsString()
  @Matches(/^(agent|team|channel|day|week|month)(,(agent|team|channel|day|week|month))*$/, {
    message: 'groupBy must be a comma-separated list of agent, team, channel, day, week, month',
  })
  groupBy?: string;
}
