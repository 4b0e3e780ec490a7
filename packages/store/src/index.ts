export * from './merkle/hashes';
export * from './merkle/merkle-tree';
export * from './merkle/verify';
