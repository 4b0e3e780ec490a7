export { default as lazyBoot } from './scenario';
export * from './workload';
