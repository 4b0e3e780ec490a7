export { ElfError } from './elf-error';
export type { GlobalDecl } from './global-decl';
export { readElfGlobals } from './read-elf-globals';
