export { default as liveVmmUpdate } from './scenario';
export * from './packages';
