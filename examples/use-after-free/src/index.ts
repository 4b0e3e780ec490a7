export { default as useAfterFree } from './scenario';
