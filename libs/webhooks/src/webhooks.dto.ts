import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull } from '@keepdesk/core';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, IsUrl, Matches, MaxLength, MinLength } from 'class-validator';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://shop.example.com/keepdesk-hook' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an http(s) URL' })
  @MaxLength(2000)
  url: string;

  @ApiProperty({ example: ['survey.responded', 'survey.low_score'], description: "event types; '*' = all" })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_*]+)*)$/, { each: true, message: 'events must be event types like survey.responded, or *' })
  events: string[];

  @ApiPropertyOptional({ description: 'signs deliveries; generated (and returned once) when omitted' })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  secret?: string;
}
