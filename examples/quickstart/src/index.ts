export { default as quickstart } from './scenario';
