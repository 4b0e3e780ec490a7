import './counter-types';

export * from './counter-error';
export * from './counter-events';
export * from './counter-options';
export * from './counter-plugin';
export * from './counter-state';
export type * from './counter-types';
