import { compileCheck } from '@chronovisor/core';
import { heapPlugin } from './heap-plugin';

describe("the heap's command arguments", () => {
  it('are all checked by compiled code, refinements included', () => {
    const slow = heapPlugin()
      .commands.filter((command) => compileCheck(command.schema) === undefined)
      .map((command) => command.type);
    expect(slow).toEqual([]);
  });
});
