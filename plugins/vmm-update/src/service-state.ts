import { digestOf, on, type Projection } from '@chronovisor/core';
import {
  deviceAdded,
  deviceSwitched,
  ioCompleted,
  ioSubmitted,
  maintenanceBegan,
  maintenanceEnded,
  requestServed,
  type DeviceMode,
} from './service-events';

/** A VM under maintenance: its substitute runs its workload. */
export interface Maintenance {
  readonly vm: number;
  readonly substitute: number;
  readonly pages: number;
  /** Requests the substitute served. */
  readonly served: number;
}

/** A device of a VM and its requests in flight, oldest first. */
export interface Device {
  readonly vm: number;
  readonly device: string;
  readonly mode: DeviceMode;
  readonly inFlight: readonly number[];
  readonly submitted: number;
  readonly completed: number;
  readonly switches: number;
}

/** What a snapshot holds (small maps, copied on write). */
export interface ServiceSnapshot {
  readonly maintenance: ReadonlyMap<number, Maintenance>;
  readonly served: ReadonlyMap<number, number>;
  readonly devices: ReadonlyMap<string, Device>;
}

const keyOf = (vm: number, device: string): string => `${vm}/${device}`;

/** Maintenance in progress, requests served, and devices with their I/O in flight. */
export class ServiceState implements Projection<ServiceSnapshot> {
  readonly name = 'vmm-services';

  private maintenance = new Map<number, Maintenance>();
  private served = new Map<number, number>();
  private devices = new Map<string, Device>();

  readonly listeners = [
    on(maintenanceBegan, ({ data }) => {
      this.maintenance = new Map(this.maintenance).set(data.vm, { ...data, served: 0 });
    }),
    on(maintenanceEnded, ({ data }) => {
      this.maintenance = new Map(this.maintenance);
      this.maintenance.delete(data.vm);
    }),
    on(requestServed, ({ data }) => {
      this.served = new Map(this.served).set(data.vm, data.request);
      const m = this.maintenance.get(data.vm);
      if (m)
        this.maintenance = new Map(this.maintenance).set(data.vm, { ...m, served: m.served + 1 });
    }),
    on(deviceAdded, ({ data }) =>
      this.put({ ...data, inFlight: [], submitted: 0, completed: 0, switches: 0 }),
    ),
    on(ioSubmitted, ({ data }) => {
      const d = this.device(data.vm, data.device)!;
      this.put({ ...d, inFlight: [...d.inFlight, data.request], submitted: d.submitted + 1 });
    }),
    on(ioCompleted, ({ data }) => {
      const d = this.device(data.vm, data.device)!;
      this.put({
        ...d,
        inFlight: d.inFlight.slice(data.requests.length),
        completed: d.completed + data.requests.length,
      });
    }),
    on(deviceSwitched, ({ data }) => {
      const d = this.device(data.vm, data.device)!;
      this.put({ ...d, mode: data.to, switches: d.switches + 1 });
    }),
  ];

  underMaintenance(vm: number): Maintenance | undefined {
    return this.maintenance.get(vm);
  }

  allMaintenance(): Maintenance[] {
    return [...this.maintenance.values()].sort((a, b) => a.vm - b.vm);
  }

  /** Requests served so far to a VM's workload. */
  servedBy(vm: number): number {
    return this.served.get(vm) ?? 0;
  }

  device(vm: number, device: string): Device | undefined {
    return this.devices.get(keyOf(vm, device));
  }

  allDevices(): Device[] {
    return [...this.devices.values()].sort((a, b) => a.vm - b.vm || (a.device < b.device ? -1 : 1));
  }

  snapshot(): ServiceSnapshot {
    return { maintenance: this.maintenance, served: this.served, devices: this.devices };
  }

  restore(snapshot: ServiceSnapshot): void {
    this.maintenance = snapshot.maintenance as Map<number, Maintenance>;
    this.served = snapshot.served as Map<number, number>;
    this.devices = snapshot.devices as Map<string, Device>;
  }

  digest(): string {
    return digestOf([
      this.allMaintenance(),
      [...this.served].sort((a, b) => a[0] - b[0]),
      this.allDevices(),
    ]);
  }

  private put(d: Device): void {
    this.devices = new Map(this.devices).set(keyOf(d.vm, d.device), d);
  }
}
