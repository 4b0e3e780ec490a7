export * from './breakpoint';
export * from './timeline';
export * from './diff';
export * from './provenance';
