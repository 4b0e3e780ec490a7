import { defineCommand, returns } from '@chronovisor/core';
import { partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { DEVICE_MODES } from './service-events';

const device = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and -');

/** `vmm.maintain-begin`: a substitute instance in `partition` takes over VM `vm`'s workload. */
export const maintainBegin = defineCommand('vmm.maintain-begin', {
  args: z.strictObject({ vm: spaceId, partition: partitionName }),
  description:
    "Start a substitute instance in `partition` and move VM `vm`'s workload to it, remapping its memory.",
  returns: returns<number>(),
});

/** `vmm.maintain-end`: the workload moves back to the maintained VM. */
export const maintainEnd = defineCommand('vmm.maintain-end', {
  args: z.strictObject({ vm: spaceId }),
  description: 'Move the workload back to maintained VM `vm` and stop its substitute.',
});

/** `vmm.serve`: a request to a VM's workload, served by whichever instance runs it now. */
export const serve = defineCommand('vmm.serve', {
  args: z.strictObject({ vm: spaceId }),
  description: "Send a request to VM `vm`'s workload; returns the instance that served it.",
  returns: returns<number>(),
});

/** `vmm.device-add`: gives a VM a device, passed through or mediated. */
export const deviceAdd = defineCommand('vmm.device-add', {
  args: z.strictObject({ vm: spaceId, device, mode: z.enum(DEVICE_MODES) }),
  description: 'Give VM `vm` device `device`, passed through or mediated by the VMM.',
});

/** `vmm.io`: submits an I/O request to a device; returns its id. */
export const io = defineCommand('vmm.io', {
  args: z.strictObject({ vm: spaceId, device }),
  description: 'Submit an I/O request to device `device` of VM `vm`; returns its id.',
  returns: returns<number>(),
});

/** `vmm.io-complete`: the device completes its `count` oldest requests in flight. */
export const ioComplete = defineCommand('vmm.io-complete', {
  args: z.strictObject({ vm: spaceId, device, count: z.number().int().min(1) }),
  description: 'Complete the `count` oldest requests in flight on device `device` of VM `vm`.',
  returns: returns<readonly number[]>(),
});

/** `vmm.device-switch`: virtualizes or devirtualizes a device at runtime, I/O in flight or not. */
export const deviceSwitch = defineCommand('vmm.device-switch', {
  args: z.strictObject({ vm: spaceId, device, mode: z.enum(DEVICE_MODES) }),
  description:
    'Switch device `device` of VM `vm` to `mode` at runtime, carrying its requests in flight over.',
});

/** The service commands: maintenance and devices. */
export const SERVICE_COMMANDS = [
  maintainBegin,
  maintainEnd,
  serve,
  deviceAdd,
  io,
  ioComplete,
  deviceSwitch,
] as const;
