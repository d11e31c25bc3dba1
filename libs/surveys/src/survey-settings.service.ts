import { Injectable } from '@nestjs/common';
import { invalid } from '@keepdesk/core';
import { SurveySettingsDto } from './surveys.dto';
import { SurveysRepository } from './surveys.repository';
import { SurveySettings } from './survey-types';

@Injectable()
export class SurveySettingsService {
  constructor(private readonly repo: SurveysRepository) {}

  async get(teamId: string | null) {
    if (teamId && !(await this.repo.teamExists(teamId))) throw invalid('teamId', `refers to unknown team ${teamId}`);
    return this.repo.settingsFor(this.repo.ds.manager, teamId);
  }

  /** Merges onto the scope's current settings (a team without its own starts from the default). */
  async put(dto: SurveySettingsDto) {
    const teamId = dto.teamId ?? null;
    const current = await this.get(teamId);
    const { inherited: _inherited, ...base } = current;
    void _inherited;
    const next: SurveySettings = { ...base, teamId };
    for (const k of ['type', 'delayMinutes', 'expiresDays', 'reminderAfterHours', 'suppressDays', 'channel', 'enabled', 'lowScoreThreshold', 'defaultLocale'] as const) {
      if (dto[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = dto[k];
    }
    await this.repo.saveSettings(next);
    return this.get(teamId);
  }
}
