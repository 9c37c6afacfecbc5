/**
 * A ready-made simulated machine: one scheduler, a physical bus with RAM, the seed's UART at
 * 0x1000_0000, the DMA network device at 0x1000_1000, QEMU's edu device at 0xfea0_0000 (where
 * QEMU's x86 machine puts its BAR0), a CPU with a store buffer, and a PC port space with the
 * keyboard controller (0x60/0x64), the POST port (0x80) and the CMOS clock (0x70/0x71).
 */
import { SimBus, SIM_MAX_RAM, type SimRam } from './bus';
import { SimCpu, type SimCpuOptions } from './cpu';
import { SimEdu } from './devices/edu';
import { SimKeyboardController, SIM_KBC_DATA_PORT } from './devices/kbc';
import { SimNetDevice } from './devices/net';
import { SimPostPort, SIM_POST_PORT } from './devices/post';
import { SimCmosRtc, SIM_CMOS_INDEX_PORT } from './devices/rtc';
import { SimUart, SIM_UART_BASE } from './devices/uart';
import { SimPortSpace } from './ports';
import type { SimScheduler } from './scheduler';
import { toInt, toOptions } from '../validate';

export const SIM_RAM_BASE = 0x8000_0000;
export const SIM_NET_BASE = 0x1000_1000;
export const SIM_EDU_BASE = 0xfea0_0000;

export interface SimMachineOptions {
  /** Seed of every chance in the run (default 1). */
  seed?: number;
  /** RAM size in bytes at SIM_RAM_BASE (default 1 MiB). */
  ramSize?: number;
  cpu?: SimCpuOptions;
  /** Wall-clock time of the CMOS clock at simulated time 0. */
  cmosStart?: Date;
}

export interface SimMachine {
  readonly scheduler: SimScheduler;
  readonly bus: SimBus;
  readonly ram: SimRam;
  readonly cpu: SimCpu;
  readonly uart: SimUart;
  readonly net: SimNetDevice;
  readonly edu: SimEdu;
  readonly ports: SimPortSpace;
  readonly kbc: SimKeyboardController;
  readonly post: SimPostPort;
  readonly cmos: SimCmosRtc;
}

/** Build the standard simulated machine. */
export function createSimMachine(options: SimMachineOptions = {}): SimMachine {
  options = toOptions<SimMachineOptions>(options, 'options', ['seed', 'ramSize', 'cpu', 'cmosStart']);
  const ramSize = options.ramSize === undefined ? 0x10_0000 : toInt(options.ramSize, 'options.ramSize', 1, SIM_MAX_RAM);
  const bus = new SimBus({ seed: options.seed ?? 1 });
  const scheduler = bus.scheduler;
  const ram = bus.addRam(SIM_RAM_BASE, ramSize);
  const uart = new SimUart(scheduler);
  bus.map(SIM_UART_BASE, uart);
  const net = new SimNetDevice(scheduler, bus.master('net'));
  bus.map(SIM_NET_BASE, net);
  const edu = new SimEdu(scheduler, { dma: bus.master('edu') });
  bus.map(SIM_EDU_BASE, edu);
  const cpu = new SimCpu(bus, options.cpu);
  const ports = new SimPortSpace({ scheduler });
  const kbc = new SimKeyboardController(scheduler);
  ports.map(SIM_KBC_DATA_PORT, kbc);
  const cmos = new SimCmosRtc(scheduler, { start: options.cmosStart });
  ports.map(SIM_CMOS_INDEX_PORT, cmos);
  const post = new SimPostPort(scheduler);
  ports.map(SIM_POST_PORT, post);
  return { scheduler, bus, ram, cpu, uart, net, edu, ports, kbc, post, cmos };
}
