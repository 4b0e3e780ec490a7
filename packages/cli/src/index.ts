export * from './cli-error';
export * from './config';
export { main } from './main';
export * from './plugin-loader';
export * from './scenario-loader';
