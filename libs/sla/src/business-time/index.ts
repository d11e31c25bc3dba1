export * from './business-hours';
export * from './timer-math';
