export * from './postgres-store';
export * from './connection';
export * from './verify-postgres-run';
export * from './local-postgres';
export * from './postgres-sweeps';
export * from './snapshot-shelf';
