export { SurveysModule, SurveysWorkerModule } from './surveys.module';
export { SURVEYS_ENTITIES } from './surveys.entities';
export { computeMetrics } from './survey-metrics';
export type { SurveyMetrics } from './survey-metrics';
export { isLowScore, SURVEY_TYPES } from './survey-types';
export type { SurveyType } from './survey-types';
