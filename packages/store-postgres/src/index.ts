export * from './postgres-store';
export * from './connection';
