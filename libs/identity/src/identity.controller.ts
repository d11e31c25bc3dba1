import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Admins, AnyUser, conflict, CurrentPrincipal, Principal, Public, UuidParam } from '@keepdesk/core';
import { AgentsService } from './agents.service';
import { ApiKeysService } from './api-keys.service';
import { CreateAgentDto, CreateApiKeyDto, CreateTeamDto, LoginDto, UpdateAgentDto } from './identity.dto';
import { IdentityRepository } from './identity.repository';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly agents: AgentsService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto) {
    return this.agents.login(dto.email, dto.password);
  }

  @ApiBearerAuth()
  @AnyUser()
  @Get('me')
  me(@CurrentPrincipal() p: Principal) {
    return this.agents.get((p as Extract<Principal, { kind: 'user' }>).userId);
  }
}

@ApiTags('agents & teams')
@ApiBearerAuth()
@Controller('api/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Admins()
  @Post()
  create(@Body() dto: CreateAgentDto) {
    return this.agents.create(dto);
  }

  @AnyUser()
  @Get()
  async list() {
    return { items: await this.agents.list(), nextCursor: null };
  }

  @AnyUser()
  @Get(':id')
  get(@UuidParam('id') id: string) {
    return this.agents.get(id);
  }

  /** Admins change anything; agents only their own `available`. */
  @AnyUser()
  @Patch(':id')
  update(@UuidParam('id') id: string, @Body() dto: UpdateAgentDto, @CurrentPrincipal() p: Principal) {
    return this.agents.update(id, dto, p);
  }
}

@ApiTags('agents & teams')
@ApiBearerAuth()
@Controller('api/teams')
export class TeamsController {
  constructor(private readonly repo: IdentityRepository) {}

  @Admins()
  @Post()
  async create(@Body() dto: CreateTeamDto) {
    const team = await this.repo.insertTeam(dto.name.trim());
    if (!team) throw conflict(`a team named "${dto.name.trim()}" already exists`, 'name');
    return { ...team, memberIds: [] };
  }

  @AnyUser()
  @Get()
  async list() {
    return { items: await this.repo.listTeams(), nextCursor: null };
  }
}

@ApiTags('API keys')
@ApiBearerAuth()
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** The key is shown once; only its hash is stored. */
  @Admins()
  @Post()
  create(@Body() dto: CreateApiKeyDto, @CurrentPrincipal() p: Principal) {
    return this.keys.create(dto.name, p.kind === 'user' ? p.userId : null);
  }

  @Admins()
  @Get()
  async list() {
    return { items: await this.keys.list(), nextCursor: null };
  }

  @Admins()
  @Delete(':id')
  @HttpCode(204)
  async revoke(@UuidParam('id') id: string) {
    await this.keys.revoke(id);
  }
}
