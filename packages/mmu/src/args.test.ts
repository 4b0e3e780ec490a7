import { compileCheck } from '@chronovisor/core';
import { mmuPlugin } from './mmu-plugin';

describe("the MMU's command arguments", () => {
  it('are checked by compiled code, but for create-space (a union, which zod checks)', () => {
    const slow = mmuPlugin()
      .commands.filter((command) => compileCheck(command.schema) === undefined)
      .map((command) => command.type);
    expect(slow).toEqual(['mmu.create-space']);
  });
});
