import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInstant } from '@keepdesk/core';
import { IsArray, IsDefined, IsEmail, IsNotEmptyObject, IsNumber, IsOptional, IsString, Matches, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';

export class OrderCustomerDto {
  @ApiPropertyOptional({ description: "The shop's customer id; matched first" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  externalId?: string;

  @ApiPropertyOptional({ description: 'Matched case-insensitively when externalId is absent or unknown' })
  @IsOptional()
  @IsEmail()
  @MaxLength(200)
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;
}

export class CreateOrderDto {
  @ApiProperty({ description: "The integrator's order id: the idempotency key" })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  externalId: string;

  @ApiProperty({ type: OrderCustomerDto })
  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => OrderCustomerDto)
  customer: OrderCustomerDto;

  @ApiProperty({ example: '2026-03-01T10:00:00Z' })
  @IsInstant()
  placedAt: string;

  @ApiProperty({ example: 49.9 })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  total: number;

  @ApiProperty({ example: 'EUR' })
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code in upper case' })
  currency: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  items?: unknown[];
}

export class OrderDto {
  @ApiProperty() id: string;
  @ApiProperty() externalId: string;
  @ApiProperty() customerId: string;
  @ApiProperty() placedAt: string;
  @ApiProperty() total: number;
  @ApiProperty() currency: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) items: unknown[];
  @ApiProperty() source: string;
  @ApiProperty() createdAt: string;
}

export class ImportReportDto {
  @ApiProperty() imported: number;
  @ApiProperty() duplicates: number;
  @ApiProperty({ type: 'array', items: { type: 'object', properties: { line: { type: 'number' }, message: { type: 'string' } } } })
  errors: { line: number; message: string }[];
  @ApiProperty({ description: 'Errors beyond the first 1000, counted but not listed' }) errorsOmitted: number;
}
