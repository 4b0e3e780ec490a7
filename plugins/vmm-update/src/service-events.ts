import { defineEvent } from '@chronovisor/core';
import { partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';

const count = z.number().int().min(0);
const device = z.string().min(1);

/** How a device reaches its guest. */
export const DEVICE_MODES = ['passthrough', 'mediated'] as const;
export type DeviceMode = (typeof DEVICE_MODES)[number];

/**
 * `vmm.maintenance.began`: a substitute OS instance took over a VM's workload: its frames were
 * remapped to the substitute (none copied) and requests go to it (US7451443B2).
 */
export const maintenanceBegan = defineEvent('vmm.maintenance.began', {
  data: z
    .object({ vm: spaceId, substitute: spaceId, partition: partitionName, pages: count })
    .readonly(),
  description:
    "A substitute OS instance took over a VM's workload, its memory remapped, while the VM is maintained.",
});

/** `vmm.maintenance.ended`: the workload moved back to the maintained instance; the substitute is gone. */
export const maintenanceEnded = defineEvent('vmm.maintenance.ended', {
  data: z.object({ vm: spaceId, substitute: spaceId, pages: count, served: count }).readonly(),
  description: 'The workload moved back to the maintained instance, its memory remapped again.',
});

/** `vmm.request.served`: a workload request was served, by the VM or its substitute. */
export const requestServed = defineEvent('vmm.request.served', {
  data: z.object({ vm: spaceId, request: count, by: spaceId }).readonly(),
  description: "A request to a VM's workload was served (by the substitute during maintenance).",
});

/** `vmm.device.added`: a device given to a VM, passed through or mediated by the VMM. */
export const deviceAdded = defineEvent('vmm.device.added', {
  data: z.object({ vm: spaceId, device, mode: z.enum(DEVICE_MODES) }).readonly(),
  description: 'A device was given to a VM, passed through or mediated by the VMM.',
});

/** `vmm.io.submitted`: an I/O request was queued to a device (its id, in submission order). */
export const ioSubmitted = defineEvent('vmm.io.submitted', {
  data: z.object({ vm: spaceId, device, request: count, mode: z.enum(DEVICE_MODES) }).readonly(),
  description: 'An I/O request was submitted to a device.',
});

/** `vmm.io.completed`: the oldest requests in flight completed, in order, through the device's path now. */
export const ioCompleted = defineEvent('vmm.io.completed', {
  data: z
    .object({
      vm: spaceId,
      device,
      requests: z.array(count).readonly(),
      mode: z.enum(DEVICE_MODES),
    })
    .readonly(),
  description: 'I/O requests in flight completed, in order.',
});

/**
 * `vmm.device.switched`: the VMM virtualized or devirtualized a device at runtime (US7793287B2);
 * the requests in flight carried over to the new path, none lost, none repeated.
 */
export const deviceSwitched = defineEvent('vmm.device.switched', {
  data: z
    .object({
      vm: spaceId,
      device,
      from: z.enum(DEVICE_MODES),
      to: z.enum(DEVICE_MODES),
      inFlight: count,
    })
    .readonly(),
  description:
    'A device was virtualized or devirtualized at runtime, with its requests in flight carried over.',
});

/** The service events: maintenance and devices. */
export const SERVICE_EVENTS = [
  maintenanceBegan,
  maintenanceEnded,
  requestServed,
  deviceAdded,
  ioSubmitted,
  ioCompleted,
  deviceSwitched,
] as const;
