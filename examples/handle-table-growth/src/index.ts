export { default as handleTableGrowth } from './scenario';
