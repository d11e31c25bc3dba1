import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';
import { IsNotBlank, IsOptionalNotNull, Role, ROLES } from '@keepdesk/core';

export class LoginDto {
  @ApiProperty() @IsEmail() @MaxLength(320) email: string;
  @ApiProperty() @IsString() @Length(1, 200) password: string;
}

export class CreateAgentDto {
  @ApiProperty() @IsEmail() @MaxLength(320) email: string;
  @ApiProperty() @IsString() @IsNotBlank() @Length(1, 200) name: string;
  @ApiProperty({ minLength: 8 }) @IsString() @Length(8, 200) password: string;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES as unknown as string[]) role: Role;
  @ApiPropertyOptional({ type: [String] }) @IsOptionalNotNull() @IsArray() @ArrayMaxSize(100) @IsUUID('all', { each: true }) teamIds?: string[];
  @ApiPropertyOptional() @IsOptionalNotNull() @IsInt() @Min(0) @Max(10000) capacity?: number;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsBoolean() available?: boolean;
}

export class UpdateAgentDto {
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @IsNotBlank() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsString() @Length(8, 200) password?: string;
  @ApiPropertyOptional({ enum: ROLES }) @IsOptionalNotNull() @IsIn(ROLES as unknown as string[]) role?: Role;
  @ApiPropertyOptional({ type: [String] }) @IsOptionalNotNull() @IsArray() @ArrayMaxSize(100) @IsUUID('all', { each: true }) teamIds?: string[];
  @ApiPropertyOptional() @IsOptionalNotNull() @IsInt() @Min(0) @Max(10000) capacity?: number;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsBoolean() available?: boolean;
  @ApiPropertyOptional() @IsOptionalNotNull() @IsBoolean() active?: boolean;
}

export class CreateTeamDto {
  @ApiProperty() @IsString() @IsNotBlank() @Length(1, 100) name: string;
}

export class CreateApiKeyDto {
  @ApiProperty() @IsString() @IsNotBlank() @Length(1, 100) name: string;
}
