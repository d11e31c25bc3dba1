import { Injectable } from '@nestjs/common';
import { HandlesJob, JobHandler, JobName, JobPayloads } from '@keepdesk/core';
import { ModelFitService } from './model-fit.service';

@Injectable()
@HandlesJob(JobName.RetentionModelFit)
export class ModelFitProcessor implements JobHandler<JobName.RetentionModelFit> {
  constructor(private readonly fits: ModelFitService) {}

  handle(payload: JobPayloads[JobName.RetentionModelFit]): Promise<void> {
    return this.fits.run(payload.fitId);
  }
}
