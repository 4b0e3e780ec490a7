export * from './breakpoint';
export * from './timeline';
