import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Access, IsInstant, Supervisors } from '@keepdesk/core';
import { IsOptional } from 'class-validator';
import { ModelFitService } from './model-fit.service';

export class FitModelDto {
  @ApiPropertyOptional({ description: 'Fit on orders placed up to this instant (default now)' })
  @IsOptional()
  @IsInstant()
  until?: string;
}

@ApiTags('retention')
@Controller('api/retention/model')
export class ModelController {
  constructor(private readonly fits: ModelFitService) {}

  @Post('fit')
  @HttpCode(202)
  @Access({ roles: ['admin', 'supervisor'], apiKey: true })
  @ApiOperation({ summary: 'Fit BG/NBD + Gamma–Gamma in the worker; answers 202 with the job id' })
  fit(@Body() dto: FitModelDto) {
    return this.fits.request(dto.until ? new Date(dto.until) : new Date());
  }

  @Get()
  @Supervisors()
  @ApiOperation({ summary: 'The latest fit: status, parameters, data size, dates' })
  current() {
    return this.fits.current();
  }
}
