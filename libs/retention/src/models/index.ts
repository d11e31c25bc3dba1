export * from './bg-nbd';
export * from './cdnow';
export * from './gamma-gamma';
export * from './intervals';
export * from './kaplan-meier';
export * from './nelder-mead';
