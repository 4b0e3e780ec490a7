export * from './progress';
export * from './reexecute';
export * from './replay-state';
export * from './run-summary';
