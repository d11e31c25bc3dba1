import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsUUID, Max, Min } from 'class-validator';

export const CHURN_ACTIONS = ['ticket', 'email', 'webhook'] as const;

export class ChurnSettingsDto {
  @ApiProperty({ description: 'Risk score (0–1) at or above which a customer gets a follow-up', example: 0.7 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  threshold: number;

  @ApiProperty({ example: 30 })
  @IsInt()
  @Min(1)
  @Max(3650)
  cooldownDays: number;

  @ApiProperty({ description: 'Share of flagged customers deliberately left untouched', example: 10 })
  @IsInt()
  @Min(0)
  @Max(100)
  holdoutPercent: number;

  @ApiProperty({ enum: CHURN_ACTIONS })
  @IsIn(CHURN_ACTIONS)
  action: (typeof CHURN_ACTIONS)[number];

  @ApiPropertyOptional({ description: 'The retention team that gets the proactive tickets' })
  @IsOptional()
  @IsUUID()
  teamId?: string | null;

  @ApiProperty()
  @IsBoolean()
  enabled: boolean;
}

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export class FollowUpsQueryDto {
  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  cursor?: string;
}

export class UpliftQueryDto {
  @ApiPropertyOptional({ default: 30, description: 'Days after the follow-up in which an order counts' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  window?: number;
}
