export { default as migrateProcessTree } from './scenario';
export * from './service';
