import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { IsInstant } from '@keepdesk/core';
import { GROUP_BY, GroupBy } from './group-keys';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export class RepurchaseQueryDto {
  @ApiPropertyOptional({ default: 30, description: 'Attribution window in days' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  window?: number;

  @ApiPropertyOptional({ enum: GROUP_BY, default: 'none' })
  @IsOptional()
  @IsIn(GROUP_BY)
  groupBy?: GroupBy;

  @ApiPropertyOptional({ description: 'Tickets anchored at or after this instant' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'Tickets anchored before this instant' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ description: 'Evaluate as of this instant (default now); drill-down filters carry it' })
  @IsOptional()
  @IsInstant()
  asOf?: string;
}

export class RepurchaseTicketsQueryDto extends RepurchaseQueryDto {
  @ApiPropertyOptional({ description: 'Group value (omit with groupBy=none)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  key?: string;

  @ApiPropertyOptional({ description: 'true = the group of tickets without a value' })
  @IsOptional()
  @IsIn(['true', 'false'])
  missing?: string;

  @ApiPropertyOptional({ enum: ['matured', 'retained', 'lost', 'immature', 'all'], default: 'matured' })
  @IsOptional()
  @IsIn(['matured', 'retained', 'lost', 'immature', 'all'])
  outcome?: 'matured' | 'retained' | 'lost' | 'immature' | 'all';

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  cursor?: string;

  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class TimeToRepurchaseQueryDto {
  @ApiPropertyOptional({ enum: GROUP_BY, default: 'none' })
  @IsOptional()
  @IsIn(GROUP_BY)
  groupBy?: GroupBy;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInstant()
  asOf?: string;

  @ApiPropertyOptional({ default: 365, description: 'Curve points up to this many days are returned' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  maxDays?: number;
}
