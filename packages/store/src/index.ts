export * from './codec/byte-reader';
export * from './codec/byte-writer';
export * from './codec/record-codec';
export * from './merkle/hashes';
export * from './merkle/merkle-tree';
export * from './merkle/verify';
export * from './sqlite/sqlite-store';
export { FORMAT } from './sqlite/schema';
