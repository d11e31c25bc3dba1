export * from './business-time';
export * from './sla.entities';
export * from './sla.module';
export * from './sla-notifications';
export { SlaService } from './sla.service';
export { SlaReconciler } from './timers/sla-reconciler.service';
export { SlaScheduler, fireJobId } from './timers/sla-scheduler.service';
export { SlaFireService } from './timers/sla-fire.service';
