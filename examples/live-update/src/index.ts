export { default as liveUpdate, FIXTURES, globalsOf } from './scenario';
