import { Module } from '@nestjs/common';
import { WebhooksCoreModule } from '@keepdesk/webhooks';
import { RateLimiter } from './rate-limiter';
import { SurveyAnswersService } from './survey-answers.service';
import { SurveyScheduler, SurveyTicketView } from './survey-hooks';
import { SurveyPublicController } from './survey-public.controller';
import { SurveySender } from './survey-sender.service';
import { SurveySettingsService } from './survey-settings.service';
import { SurveySummaryService } from './survey-summary.service';
import { SurveyReminderProcessor, SurveySendProcessor, SurveySweeper } from './survey.processors';
import { SurveysController } from './surveys.controller';
import { SurveysRepository } from './surveys.repository';

/** API side: settings, summary, the public survey page, the solve hook and the ticket view. */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [SurveysController, SurveyPublicController],
  providers: [SurveysRepository, SurveySettingsService, SurveySummaryService, SurveyAnswersService, SurveyScheduler, SurveyTicketView, RateLimiter],
})
export class SurveysModule {}

/** Worker side: sending, reminders, and the sweep. The solve hook is here too (tickets are also changed by worker jobs). */
@Module({
  imports: [WebhooksCoreModule],
  providers: [SurveysRepository, SurveySender, SurveyAnswersService, SurveyScheduler, SurveySendProcessor, SurveyReminderProcessor, SurveySweeper],
})
export class SurveysWorkerModule {}
