import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateIf, ValidateNested,
} from 'class-validator';
import { IsInstant, IsNotBlank } from '@keepdesk/core';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '@keepdesk/tickets';

const TARGETS = ['first_response', 'next_response', 'resolution'] as const;
// A year of minutes is the longest target anyone means; fractions allowed down to ~1 ms.
const MAX_MINUTES = 366 * 24 * 60;

export class PolicyMatchDto {
  @ApiPropertyOptional({ enum: TICKET_PRIORITIES, isArray: true }) @IsOptional() @IsArray() @ArrayMaxSize(10) @IsIn(TICKET_PRIORITIES, { each: true, message: `priorities must contain only ${TICKET_PRIORITIES.join(', ')}` }) priorities?: string[];
  @ApiPropertyOptional({ enum: TICKET_CHANNELS, isArray: true }) @IsOptional() @IsArray() @ArrayMaxSize(10) @IsIn(TICKET_CHANNELS, { each: true, message: `channels must contain only ${TICKET_CHANNELS.join(', ')}` }) channels?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(100) @IsUUID('all', { each: true, message: 'teamIds must contain only UUIDs' }) teamIds?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 50, { each: true, message: 'tags must contain 1-50 character tags' }) tags?: string[];
}

export class PolicyTargetsDto {
  @ApiPropertyOptional({ example: 60 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(MAX_MINUTES) firstResponseMinutes?: number;
  @ApiPropertyOptional({ example: 240 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(MAX_MINUTES) nextResponseMinutes?: number;
  @ApiPropertyOptional({ example: 1440 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(MAX_MINUTES) resolutionMinutes?: number;
}

export class EscalationDto {
  @ApiPropertyOptional({ enum: ['one_step', 'high', 'urgent'], description: 'raise the priority on breach (never lowers it)' }) @IsOptional() @IsIn(['one_step', 'high', 'urgent']) raisePriority?: 'one_step' | 'high' | 'urgent';
  @ApiPropertyOptional({ description: 'move the ticket to this team on breach' }) @IsOptional() @IsUUID() moveToTeamId?: string;
}

export class CreateSlaPolicyDto {
  @ApiProperty() @IsString() @IsNotBlank() @Length(1, 200) name: string;
  @ApiPropertyOptional({ description: 'first match by ascending position wins; default: last' }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) position?: number;
  @ApiPropertyOptional({ type: PolicyMatchDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyMatchDto) match?: PolicyMatchDto;
  @ApiProperty({ type: PolicyTargetsDto }) @IsObject() @ValidateNested() @Type(() => PolicyTargetsDto) targets: PolicyTargetsDto;
  @ApiPropertyOptional({ default: 80 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(1) @Max(100) warnAtPercent?: number;
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o) => o.businessHoursId !== null && o.businessHoursId !== undefined) @IsUUID() businessHoursId?: string | null;
  @ApiPropertyOptional({ type: EscalationDto, nullable: true }) @ValidateIf((o) => o.escalation !== null && o.escalation !== undefined) @IsObject() @ValidateNested() @Type(() => EscalationDto) escalation?: EscalationDto | null;
}

export class UpdateSlaPolicyDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotBlank() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(1_000_000) position?: number;
  @ApiPropertyOptional({ type: PolicyMatchDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyMatchDto) match?: PolicyMatchDto;
  @ApiPropertyOptional({ type: PolicyTargetsDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyTargetsDto) targets?: PolicyTargetsDto;
  @ApiPropertyOptional() @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(1) @Max(100) warnAtPercent?: number;
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o) => o.businessHoursId !== null && o.businessHoursId !== undefined) @IsUUID() businessHoursId?: string | null;
  @ApiPropertyOptional({ type: EscalationDto, nullable: true }) @ValidateIf((o) => o.escalation !== null && o.escalation !== undefined) @IsObject() @ValidateNested() @Type(() => EscalationDto) escalation?: EscalationDto | null;
}

export class WeeklyIntervalDto {
  @ApiProperty({ minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' }) @IsInt() @Min(1) @Max(7) day: number;
  @ApiProperty({ example: '09:00' }) @IsString() @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'open must be HH:mm' }) open: string;
  @ApiProperty({ example: '17:00', description: 'close <= open runs overnight; 24:00 = end of day' }) @IsString() @Matches(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { message: 'close must be HH:mm or 24:00' }) close: string;
}

export class CreateBusinessHoursDto {
  @ApiProperty() @IsString() @IsNotBlank() @Length(1, 200) name: string;
  @ApiProperty({ example: 'Europe/Berlin' }) @IsString() @Length(1, 100) timezone: string;
  @ApiProperty({ type: [WeeklyIntervalDto] }) @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => WeeklyIntervalDto) weekly: WeeklyIntervalDto[];
  @ApiPropertyOptional({ type: [String], example: ['2026-12-25'] }) @IsOptional() @IsArray() @ArrayMaxSize(1000) @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'holidays must contain dates YYYY-MM-DD' }) holidays?: string[];
}

export class DeadlineQuery {
  @ApiProperty({ description: 'ISO instant' }) @IsInstant() from: string;
  @ApiProperty({ description: 'business minutes (fractions allowed)' }) @Type(() => Number) @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'minutes must be a number' }) @Min(0) @Max(MAX_MINUTES) minutes: number;
}

const csv = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);

export class BreachesQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() assigneeId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() ticketId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() policyId?: string;
  @ApiPropertyOptional({ enum: TICKET_PRIORITIES }) @IsOptional() @IsIn(TICKET_PRIORITIES) priority?: string;
  @ApiPropertyOptional({ enum: TARGETS }) @IsOptional() @IsIn(TARGETS) target?: string;
  @ApiPropertyOptional({ description: 'breached at or after (ISO instant)' }) @IsOptional() @IsInstant() from?: string;
  @ApiPropertyOptional({ description: 'breached before (ISO instant)' }) @IsOptional() @IsInstant() to?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^[A-Za-z0-9_-]{10,200}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export const SUMMARY_GROUPS = ['team', 'priority', 'agent'] as const;
export type SummaryGroup = (typeof SUMMARY_GROUPS)[number];

export class SummaryQuery {
  @ApiPropertyOptional({ description: 'timers that ended (achieved or breached) at or after; default 30 days ago' }) @IsOptional() @IsInstant() from?: string;
  @ApiPropertyOptional({ description: 'timers that ended before; default now' }) @IsOptional() @IsInstant() to?: string;
  @ApiPropertyOptional({ description: 'team, priority, agent (comma-separated); default all three' }) @IsOptional() @Transform(csv) @IsArray() @IsIn(SUMMARY_GROUPS, { each: true, message: `groupBy must contain only ${SUMMARY_GROUPS.join(', ')}` }) groupBy?: SummaryGroup[];
  @ApiPropertyOptional() @IsOptional() @IsUUID() teamId?: string;
}
