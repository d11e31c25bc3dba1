/**
 * Every background job, in one place: its name, its queue, its payload. The worker refuses to boot
 * when a job has no handler (assertEveryJobHasHandler). Job ids are deterministic so that a job owed
 * twice is queued once; BullMQ forbids ':' in custom ids, so ids use '.'.
 */
export enum QueueName {
  Tickets = 'tickets',
  Sla = 'sla',
  Surveys = 'surveys',
  Webhooks = 'webhooks',
  Retention = 'retention',
}

export enum JobName {
  TicketsAutoClose = 'tickets.auto-close',
  SlaFire = 'sla.fire',
  SlaReconcile = 'sla.reconcile',
  SurveySend = 'survey.send',
  SurveyReminder = 'survey.reminder',
  WebhookDeliver = 'webhook.deliver',
  RetentionModelFit = 'retention.model-fit',
  ChurnRun = 'churn.run',
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.TicketsAutoClose]: QueueName.Tickets,
  [JobName.SlaFire]: QueueName.Sla,
  [JobName.SlaReconcile]: QueueName.Sla,
  [JobName.SurveySend]: QueueName.Surveys,
  [JobName.SurveyReminder]: QueueName.Surveys,
  [JobName.WebhookDeliver]: QueueName.Webhooks,
  [JobName.RetentionModelFit]: QueueName.Retention,
  [JobName.ChurnRun]: QueueName.Retention,
};

export interface JobPayloads {
  [JobName.TicketsAutoClose]: Record<string, never>;
  [JobName.SlaFire]: { timerId: string; version: number; kind: 'warning' | 'breach' };
  [JobName.SlaReconcile]: Record<string, never>;
  [JobName.SurveySend]: { ticketId: string };
  [JobName.SurveyReminder]: { surveyId: string };
  [JobName.WebhookDeliver]: { deliveryId: string };
  [JobName.RetentionModelFit]: { fitId: string };
  [JobName.ChurnRun]: { runId?: string };
}

export interface JobHandler<N extends JobName = JobName> {
  handle(payload: JobPayloads[N], meta: { jobId: string; attemptsMade: number }): Promise<unknown>;
}

/** Metadata key set by @HandlesJob on a provider class. */
export const HANDLES_JOB = Symbol('HANDLES_JOB');

export function assertEveryJobHasHandler(handled: Iterable<JobName>): void {
  const have = new Set(handled);
  const missing = Object.values(JobName).filter((n) => !have.has(n));
  if (missing.length) throw new Error(`no handler registered for job(s): ${missing.join(', ')}`);
}
