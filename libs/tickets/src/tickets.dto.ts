import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsEmail, IsIn, IsInt, IsNotEmptyObject, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '@keepdesk/core';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES, TicketChannel, TicketPriority, TicketStatus } from './ticket-hooks';

const TAG = /^[\p{L}\p{N}_\-:.]{1,50}$/u;

export class TicketCustomerDto {
  @ApiProperty() @IsEmail() @MaxLength(320) email: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 200) externalId?: string;
}

export class UpsertCustomerDto {
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 200) externalId?: string;
  @ApiPropertyOptional() @ValidateIf((o) => o.email !== undefined || o.externalId === undefined) @IsEmail() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 50) phone?: string;
  @ApiPropertyOptional({ example: 'zh-CN' }) @IsOptionalNotNull() @IsString() @Matches(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, { message: 'locale must be a BCP 47 tag such as en or zh-CN' }) locale?: string;
}

export class CreateTicketDto {
  @ApiProperty() @IsString() @Length(1, 500) subject: string;
  @ApiProperty() @IsString() @Length(1, 100000) body: string;
  @ApiProperty({ type: TicketCustomerDto }) @IsNotEmptyObject() @ValidateNested() @Type(() => TicketCustomerDto) customer: TicketCustomerDto;
  @ApiPropertyOptional({ enum: TICKET_CHANNELS }) @IsOptionalNotNull() @IsIn(TICKET_CHANNELS) channel?: TicketChannel;
  @ApiPropertyOptional({ enum: TICKET_PRIORITIES }) @IsOptionalNotNull() @IsIn(TICKET_PRIORITIES) priority?: TicketPriority;
  @ApiPropertyOptional({ type: [String] }) @IsOptionalNotNull() @IsArray() @ArrayMaxSize(20) @Matches(TAG, { each: true, message: 'tags must contain only tags of 1-50 letters, digits, _ - : .' }) tags?: string[];
  @ApiPropertyOptional() @IsOptionalNotNull() @IsUUID() teamId?: string;
}

export class UpdateTicketDto {
  @ApiPropertyOptional({ enum: TICKET_STATUSES }) @IsOptionalNotNull() @IsIn(TICKET_STATUSES) status?: TicketStatus;
  @ApiPropertyOptional({ enum: TICKET_PRIORITIES }) @IsOptionalNotNull() @IsIn(TICKET_PRIORITIES) priority?: TicketPriority;
  /** null unassigns. */
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o) => o.assigneeId !== null && o.assigneeId !== undefined) @IsUUID() assigneeId?: string | null;
  @ApiPropertyOptional({ nullable: true }) @ValidateIf((o) => o.teamId !== null && o.teamId !== undefined) @IsUUID() teamId?: string | null;
  @ApiPropertyOptional({ type: [String] }) @IsOptionalNotNull() @IsArray() @ArrayMaxSize(20) @Matches(TAG, { each: true, message: 'tags must contain only tags of 1-50 letters, digits, _ - : .' }) tags?: string[];
}

const csv = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);

export class ListTicketsQuery {
  @ApiPropertyOptional({ description: 'one status or several, comma-separated' }) @IsOptional() @Transform(csv) @IsArray() @IsIn(TICKET_STATUSES, { each: true, message: `status must be one of ${TICKET_STATUSES.join(', ')}` }) status?: TicketStatus[];
  @ApiPropertyOptional() @IsOptional() @IsUUID() assigneeId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() customerId?: string;
  @ApiPropertyOptional({ enum: TICKET_PRIORITIES }) @IsOptional() @IsIn(TICKET_PRIORITIES) priority?: TicketPriority;
  @ApiPropertyOptional({ enum: TICKET_CHANNELS }) @IsOptional() @IsIn(TICKET_CHANNELS) channel?: TicketChannel;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 50) tag?: string;
  @ApiPropertyOptional({ description: 'full-text search in subject and body' }) @IsOptional() @IsString() @Length(1, 200) q?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^\d{1,18}$/, { message: 'cursor must be the nextCursor of a previous page' }) cursor?: string;
  @ApiPropertyOptional({ default: 25 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}

export class CreateMessageDto {
  @ApiProperty() @IsString() @Length(1, 100000) body: string;
  @ApiProperty({ enum: ['reply', 'note'] }) @IsIn(['reply', 'note']) kind: 'reply' | 'note';
}

export class CustomerMessageDto {
  @ApiProperty() @IsString() @Length(1, 100000) body: string;
}

export class InboundEmailDto {
  @ApiProperty({ description: 'sender address' }) @IsEmail() @MaxLength(320) sender: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(1, 200) senderName?: string;
  @ApiProperty() @IsString() @MaxLength(500) subject: string;
  @ApiProperty() @IsString() @Length(1, 100000) text: string;
  @ApiProperty({ description: 'Message-ID header' }) @IsString() @Length(3, 500) messageId: string;
  @ApiPropertyOptional({ description: 'In-Reply-To header' }) @IsOptionalNotNull() @IsString() @MaxLength(500) inReplyTo?: string;
  @ApiPropertyOptional({ description: 'References header (space-separated ids)' }) @IsOptionalNotNull() @IsString() @MaxLength(5000) references?: string;
}
