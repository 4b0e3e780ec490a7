import { Pte, describeFlags, permsOfFlags, permsToFlags } from './pte';

describe('permsOfFlags', () => {
  it.each(['r--', 'rw-', 'r-x', 'rwx', '-w-', '---'])(
    'gives back the perms %s a mapping was made with',
    (perms) => {
      expect(permsOfFlags(describeFlags(permsToFlags(perms) | Pte.PRESENT))).toBe(perms);
    },
  );

  it('counts a copy-on-write page writable: its first write copies it', () => {
    expect(permsOfFlags(describeFlags(permsToFlags('r--') | Pte.PRESENT | Pte.COW))).toBe('rw-');
  });
});
