import { Simulation } from '@chronovisor/core';
import { createPartition, mmuPlugin } from '@chronovisor/mmu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GuestMemory } from './guest-memory';
import { ImageError, readImageFile, writeImageFile } from './image';
import { boot, importImage } from './snapshot-commands';
import { snapshotBootPlugin } from './snapshot-boot-plugin';
import { SnapshotBootQuery } from './snapshot-query';
import { GUEST_VA, PAGE, VM_PAGES, bootMachine } from './test-support/boot-machine';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-images-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('images in files', () => {
  it('carry a VM to another run: exported, imported, booted, the same bytes', () => {
    const { sim, vm, query } = bootMachine();
    const file = path.join(dir, 'base.snap');
    writeImageFile(file, query.image('base')!);
    const bytesBefore = new GuestMemory(sim).read(vm, 0, VM_PAGES * PAGE);

    const other = new Simulation({
      plugins: [mmuPlugin({ frames: 512 }), snapshotBootPlugin()],
      seed: 9,
    });
    other.dispatch(createPartition, { name: 'p', frames: 256 });
    expect(other.dispatch(importImage, { image: readImageFile(file) }).ok).toBe(true);
    expect(other.get(SnapshotBootQuery).images()).toMatchObject([
      { name: 'base', origin: 'import', stored: 24 },
    ]);
    const { guests } = other.dispatch(boot, {
      image: 'base',
      partition: 'p',
      identity: 'keep',
    }).value!;
    const copy = new GuestMemory(other).read(guests[0]!, GUEST_VA, VM_PAGES * PAGE);
    expect(copy).toEqual(bytesBefore);
    // Refused the second time: images are never overwritten.
    expect(other.dispatch(importImage, { image: readImageFile(file) }).rejection?.message).toMatch(
      /Image base already exists/,
    );
  });

  it('name the page of a corrupt image, and nothing is imported', () => {
    const { query } = bootMachine();
    const file = path.join(dir, 'base.snap');
    writeImageFile(file, query.image('base')!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 32 - 3 * PAGE + 10]! ^= 0x40; // in the third page from the end
    writeFileSync(file, bytes);
    expect(() => readImageFile(file)).toThrow(ImageError);
    expect(() => readImageFile(file)).toThrow(
      /page 21 \(gpa 0x1c000\) of .*base\.snap fails its checksum/,
    );
  });
});
