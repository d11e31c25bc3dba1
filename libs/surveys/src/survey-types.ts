/** Survey types, their scales and SPEC's low-score rules; pure. */
export const SURVEY_TYPES = ['csat', 'nps', 'ces'] as const;
export type SurveyType = (typeof SURVEY_TYPES)[number];
export const SURVEY_CHANNELS = ['email', 'webhook'] as const;
export type SurveyChannel = (typeof SURVEY_CHANNELS)[number];

export const SCALES: Record<SurveyType, { min: number; max: number }> = {
  csat: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
  ces: { min: 1, max: 7 },
};

export function scoresOf(type: SurveyType): number[] {
  const { min, max } = SCALES[type];
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

export function isValidScore(type: SurveyType, score: unknown): score is number {
  return typeof score === 'number' && Number.isInteger(score) && score >= SCALES[type].min && score <= SCALES[type].max;
}

/** SPEC: CSAT ≤ 2, NPS ≤ 6, CES ≥ 5 (CES: higher = more effort = worse). A threshold overrides the bound. */
export function isLowScore(type: SurveyType, score: number, threshold?: number | null): boolean {
  if (type === 'ces') return score >= (threshold ?? 5);
  return score <= (threshold ?? (type === 'csat' ? 2 : 6));
}

export interface SurveySettings {
  teamId: string | null;
  type: SurveyType;
  delayMinutes: number;
  expiresDays: number;
  reminderAfterHours: number;
  suppressDays: number;
  channel: SurveyChannel;
  enabled: boolean;
  lowScoreThreshold: number | null;
  defaultLocale: string;
}

export const DEFAULT_SETTINGS: Omit<SurveySettings, 'teamId'> = {
  type: 'csat',
  delayMinutes: 60,
  expiresDays: 14,
  reminderAfterHours: 48,
  suppressDays: 7,
  channel: 'email',
  enabled: true,
  lowScoreThreshold: null,
  defaultLocale: 'en',
};
