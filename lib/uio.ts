/**
 * Linux UIO (userspace I/O): a device's interrupt and register maps through /dev/uioN.
 *
 * - A 4-byte read of /dev/uioN returns the device's interrupt count once it has changed since the
 *   last read; the descriptor is non-blocking and watched with {@link watchReadable}, so waiting
 *   holds no thread (neither the main one nor one of libuv's pool).
 * - Writing 1 (a 4-byte int) re-enables the interrupt, 0 disables it, for drivers with
 *   irqcontrol. uio_pci_generic has none (the write fails with ENOSYS): it masks the interrupt in
 *   the PCI command register after each one, and enableInterrupt() clears that INTx-disable bit
 *   through the device's sysfs `config` file instead.
 * - Map N of the device is mapped at file offset N × page size ({@link UioDevice.mapRegion});
 *   for a PCI device the BARs can also be mapped through sysfs ({@link UioDevice.openPciBar}).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InterruptSource, WaitInterruptOptions } from './interfaces';
import { hasCode, systemError, codedError } from './errors';
import { watchReadable, type FdWatcher } from './fdwatch';
import { InterruptWaiters, interruptIterator, toWaitSpec } from './irq';
import { openPciBar, openUio, type PciBarOptions, type UioOptions } from './regs/pci';
import type { RegisterWindow } from './regs/window';
import { toBool, toOptions, toStr, invalidType } from './validate';

/** One memory map of a UIO device (/sys/class/uio/uioN/maps/mapM). */
export interface UioMap {
  index: number;
  /** The map's name, when the driver gives one. */
  name?: string;
  /** Physical address of the map's first page. */
  addr: bigint;
  /** Bytes. */
  size: number;
  /** Offset of the registers within the first page. */
  offset: number;
}

/** A UIO device as sysfs shows it. */
export interface UioDeviceInfo {
  /** N of uioN. */
  index: number;
  /** 'uio0' … */
  id: string;
  /** The driver's name for the device ('uio_pci_generic' …). */
  name: string;
  version: string;
  /** Interrupts so far (sysfs `event`). */
  event: number;
  maps: UioMap[];
  /** The PCI function behind the device ('0000:00:04.0'), when it is a PCI device. */
  pci?: string;
  /** The device node: /dev/uioN. */
  path: string;
}

/** Options of {@link listUioDevices} and {@link openUioDevice}. */
export interface UioDeviceOptions {
  /** Where sysfs is mounted. Default '/sys'. */
  sysfs?: string;
  /** Folder of the device nodes. Default '/dev'. */
  dev?: string;
}

const hexNum = (text: string): number => Number.parseInt(text.trim(), 16);
const readText = (file: string): string => fs.readFileSync(file, 'utf8').trim();
const optText = (file: string): string | undefined => {
  try {
    return readText(file);
  } catch {
    return undefined;
  }
};

function roots(options: UioDeviceOptions): { sys: string; dev: string } {
  return {
    sys: options.sysfs === undefined ? '/sys' : toStr(options.sysfs, 'options.sysfs'),
    dev: options.dev === undefined ? '/dev' : toStr(options.dev, 'options.dev'),
  };
}

function readInfo(sys: string, dev: string, index: number): UioDeviceInfo {
  const dir = path.join(sys, 'class', 'uio', `uio${index}`);
  const maps: UioMap[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(path.join(dir, 'maps'));
  } catch {
    names = [];
  }
  for (const m of names.filter((n) => /^map\d+$/.test(n)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))) {
    const md = path.join(dir, 'maps', m);
    const addr = optText(path.join(md, 'addr'));
    const size = optText(path.join(md, 'size'));
    if (addr === undefined || size === undefined) continue;
    const name = optText(path.join(md, 'name'));
    maps.push({
      index: Number(m.slice(3)),
      ...(name ? { name } : {}),
      addr: BigInt(addr),
      size: hexNum(size),
      offset: hexNum(optText(path.join(md, 'offset')) ?? '0') || 0,
    });
  }
  let pci: string | undefined;
  try {
    const target = path.basename(fs.realpathSync(path.join(dir, 'device')));
    if (/^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(target)) pci = target;
  } catch {
    pci = undefined;
  }
  return {
    index,
    id: `uio${index}`,
    name: readText(path.join(dir, 'name')),
    version: optText(path.join(dir, 'version')) ?? '',
    event: Number(optText(path.join(dir, 'event')) ?? 0),
    maps,
    ...(pci ? { pci } : {}),
    path: path.join(dev, `uio${index}`),
  };
}

/** Every UIO device, by number: from /sys/class/uio. Empty when there is none (or no UIO at all). */
export function listUioDevices(options: UioDeviceOptions = {}): UioDeviceInfo[] {
  const o = toOptions<UioDeviceOptions>(options, 'options', ['sysfs', 'dev']);
  const { sys, dev } = roots(o);
  let names: string[];
  try {
    names = fs.readdirSync(path.join(sys, 'class', 'uio'));
  } catch {
    return [];
  }
  const out: UioDeviceInfo[] = [];
  for (const n of names
    .filter((x) => /^uio\d+$/.test(x))
    .map((x) => Number(x.slice(3)))
    .sort((a, b) => a - b)) {
    try {
      out.push(readInfo(sys, dev, n));
    } catch {
      /* went away meanwhile */
    }
  }
  return out;
}

const ADVICE_NONE =
  'Load a UIO driver and bind the device to it, e.g. for a PCI device: ' +
  '\'modprobe uio_pci_generic; echo "VVVV DDDD" > /sys/bus/pci/drivers/uio_pci_generic/new_id\' (vendor and device ID in hex).';

/** N of a device given as N, 'uioN', '/dev/uioN' or the path of a UIO character device. */
function deviceIndex(device: unknown, sys: string, dev: string): number {
  if (typeof device === 'number') {
    if (!Number.isSafeInteger(device) || device < 0)
      throw codedError('ERR_OUT_OF_RANGE', `The UIO device number must be a non-negative integer. Received ${device}`);
    return device;
  }
  if (typeof device !== 'string')
    throw codedError('ERR_INVALID_ARG_TYPE', `The "device" argument must be a UIO device number, 'uioN' or a device path. Received ${typeof device}`);
  const m = /^(?:\/dev\/)?uio(\d+)$/.exec(device);
  if (m) return Number(m[1]);
  let st: fs.Stats;
  try {
    st = fs.statSync(device);
  } catch {
    throw codedError('ERR_MMAPKIT_DEVICE', `No such UIO device: '${device}' does not exist. ${present(sys, dev)}`);
  }
  if (st.isCharacterDevice()) {
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    try {
      const real = fs.realpathSync(path.join(sys, 'dev', 'char', `${major}:${minor}`));
      if (path.basename(path.dirname(real)) === 'uio' && /^uio\d+$/.test(path.basename(real))) return Number(path.basename(real).slice(3));
    } catch {
      /* not in sysfs: not UIO */
    }
  }
  throw codedError(
    'ERR_MMAPKIT_NOT_UIO',
    `'${device}' is not a UIO device (UIO devices are the character devices /dev/uioN listed in ${path.join(sys, 'class', 'uio')}). ${present(sys, dev)}`,
  );
}

function present(sys: string, dev: string): string {
  const list = listUioDevices({ sysfs: sys, dev });
  return list.length === 0
    ? `This system has no UIO devices. ${ADVICE_NONE}`
    : `UIO devices here: ${list.map((d) => `${d.id} (${d.name}${d.pci ? ` ${d.pci}` : ''})`).join(', ')}.`;
}

/** Shared with the finalizer: what to close if the device object is collected unclosed. */
interface Held {
  fd: number;
  closed: boolean;
}
const finalizer = new FinalizationRegistry<Held>((h) => {
  if (h.closed) return;
  h.closed = true;
  try {
    fs.closeSync(h.fd);
  } catch {
    /* already gone */
  }
});

/**
 * An open UIO device: its interrupt (an {@link InterruptSource}) and its register maps. Close it
 * (or use `using`); one that is collected unclosed is closed by a finalizer.
 */
export class UioDevice implements InterruptSource, Disposable {
  readonly info: UioDeviceInfo;
  readonly path: string;
  readonly #held: Held;
  readonly #sys: string;
  readonly #dev: string;
  #count = 0;
  #watcher: FdWatcher | undefined;
  #viaConfig = false;
  readonly #buf = new Uint32Array(1);
  readonly #waiters = new InterruptWaiters(
    () => this.#watch().resume(),
    () => this.#watcher?.pause(),
  );

  /** @internal Use {@link openUioDevice}. */
  constructor(info: UioDeviceInfo, fd: number, sys: string, dev: string) {
    if (
      info === null ||
      typeof info !== 'object' ||
      typeof (info as { path?: unknown }).path !== 'string' ||
      !Number.isInteger(fd) ||
      typeof sys !== 'string' ||
      typeof dev !== 'string'
    ) {
      throw invalidType('info', 'a UIO device opened by openUioDevice() (a UioDevice is not constructed directly)', info);
    }
    this.info = info;
    this.path = info.path;
    this.#held = { fd, closed: false };
    this.#sys = sys;
    this.#dev = dev;
    finalizer.register(this, this.#held, this);
  }

  /** The open file descriptor of /dev/uioN (non-blocking). */
  get fd(): number {
    return this.#held.fd;
  }
  get closed(): boolean {
    return this.#held.closed;
  }
  get count(): number {
    return this.#count;
  }

  #check(): void {
    if (this.#held.closed) throw codedError('ERR_MMAPKIT_CLOSED', `The UIO device ${this.path} is closed`);
  }

  #watch(): FdWatcher {
    if (!this.#watcher) {
      this.#watcher = watchReadable(this.#held.fd, (err) => this.#onReadable(err), { start: false });
    }
    return this.#watcher;
  }

  #onReadable(err?: Error): void {
    if (err) {
      this.#watcher = undefined;
      this.#waiters.rejectAll(
        codedError('ERR_MMAPKIT_DEVICE', `The UIO device ${this.path} reported an error while waiting for an interrupt (was it unbound or removed?)`),
      );
      return;
    }
    let n: number | undefined;
    try {
      n = this.takeInterrupt();
    } catch (e) {
      this.#waiters.rejectAll(e);
      return;
    }
    if (n !== undefined) this.#waiters.resolveAll(n);
  }

  #ioError(err: unknown, syscall: 'read' | 'write'): Error {
    if (!hasCode(err)) return err as Error;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EIO') {
      return systemError(
        5,
        syscall,
        this.path,
        'I/O error',
        `${this.path} (${this.info.name}) has no interrupt: its driver registered none, or the device was unbound.`,
      );
    }
    if (e.code === 'ENOSYS') {
      return codedError('ERR_MMAPKIT_UNSUPPORTED', `${this.path} (${this.info.name}): this UIO driver cannot enable or disable its interrupt (no irqcontrol)`);
    }
    return systemError(typeof e.errno === 'number' ? e.errno : 5, syscall, this.path, e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+$/, ''));
  }

  takeInterrupt(): number | undefined {
    this.#check();
    try {
      const n = fs.readSync(this.#held.fd, this.#buf, 0, 4, null);
      if (n !== 4) return undefined;
    } catch (err) {
      if (hasCode(err) && err.code === 'EAGAIN') return undefined;
      throw this.#ioError(err, 'read');
    }
    this.#count = this.#buf[0];
    return this.#count;
  }

  #write(value: number): void {
    this.#check();
    if (!this.#viaConfig) {
      try {
        fs.writeSync(this.#held.fd, Uint32Array.of(value), 0, 4, null);
        return;
      } catch (err) {
        // uio_pci_generic has no irqcontrol (ENOSYS): its interrupt is masked and unmasked by the
        // INTx-disable bit of the PCI command register, as the kernel's UIO how-to does it.
        if (!(hasCode(err) && err.code === 'ENOSYS' && this.info.pci)) throw this.#ioError(err, 'write');
        this.#viaConfig = true;
      }
    }
    this.#setIntxDisable(value === 0);
  }

  /**
   * Sets or clears bit 10 (INTx disable) of the PCI command register, through sysfs `config`. The
   * whole 16-bit register is written: QEMU re-evaluates a pending INTx only when a config write
   * covers the register's first byte, so a one-byte write at offset 5 would unmask the interrupt
   * without delivering one that is already pending.
   */
  #setIntxDisable(disable: boolean): void {
    const file = path.join(this.#sys, 'bus', 'pci', 'devices', this.info.pci!, 'config');
    const word = Buffer.alloc(2);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r+');
      fs.readSync(fd, word, 0, 2, 4);
      const command = word.readUInt16LE(0);
      word.writeUInt16LE(disable ? command | 0x400 : command & ~0x400, 0);
      fs.writeSync(fd, word, 0, 2, 4);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw systemError(
        typeof e.errno === 'number' ? e.errno : 5,
        e.syscall ?? 'write',
        file,
        undefined,
        `${this.info.id} (${this.info.name}) is masked and unmasked through the PCI command register in ${file}, which needs root.`,
      );
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * Unmasks the interrupt: writes 1 to /dev/uioN, or for uio_pci_generic (which has no
   * irqcontrol and answers ENOSYS) clears the INTx-disable bit of the PCI command register.
   */
  enableInterrupt(): void {
    this.#write(1);
  }
  /** Masks the interrupt: writes 0 to /dev/uioN, or sets the INTx-disable bit (uio_pci_generic). */
  disableInterrupt(): void {
    this.#write(0);
  }

  waitInterrupt(options?: WaitInterruptOptions): Promise<number> {
    try {
      const spec = toWaitSpec(options);
      this.#check();
      if (spec.reenable) this.enableInterrupt();
      const now = this.takeInterrupt();
      if (now !== undefined) return Promise.resolve(now);
      return this.#waiters.add(spec, this.path);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  interrupts(options?: WaitInterruptOptions): AsyncIterableIterator<number> {
    toWaitSpec(options);
    return interruptIterator(this, options);
  }

  /** Maps UIO map `map` (default 0) as a register window (file offset map × page size). */
  mapRegion(map = 0, options: Pick<UioOptions, 'writable' | 'widths'> = {}): RegisterWindow {
    this.#check();
    const o = toOptions<UioOptions>(options, 'options', ['writable', 'widths']);
    if (typeof map === 'number' && Number.isInteger(map) && map >= 0 && map <= 4 && !this.info.maps.some((m) => m.index === map)) {
      const hint = this.info.pci ? ` Its registers are the PCI BARs of ${this.info.pci}: use openPciBar(bar).` : '';
      throw codedError('ERR_MMAPKIT_DEVICE', `UIO device ${this.info.id} (${this.info.name}) has no map ${map}.${hint}`);
    }
    return openUio(this.info.index, map, { sysfs: this.#sys, dev: this.#dev, writable: o.writable, widths: o.widths });
  }

  /** Maps BAR `bar` of the PCI device behind this UIO device (uio_pci_generic has no UIO maps). */
  openPciBar(bar: number, options: Omit<PciBarOptions, 'sysfs'> = {}): RegisterWindow {
    this.#check();
    if (!this.info.pci) throw codedError('ERR_MMAPKIT_DEVICE', `UIO device ${this.info.id} (${this.info.name}) is not a PCI device`);
    return openPciBar(this.info.pci, bar, { ...toOptions<PciBarOptions>(options, 'options', ['offset', 'length', 'writable', 'widths']), sysfs: this.#sys });
  }

  /** Stops waiting (pending waits reject with ERR_MMAPKIT_CLOSED) and closes the device. Idempotent. */
  close(): void {
    if (this.#held.closed) return;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#held.closed = true;
    finalizer.unregister(this);
    try {
      fs.closeSync(this.#held.fd);
    } catch {
      /* nothing left to do */
    }
    this.#waiters.rejectAll(codedError('ERR_MMAPKIT_CLOSED', `The UIO device ${this.path} was closed while waiting for an interrupt`));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a UIO device: `device` is N, 'uioN', '/dev/uioN' or the path of a UIO character device.
 * Errors: ERR_MMAPKIT_DEVICE (no such device; the message lists the ones there are),
 * ERR_MMAPKIT_NOT_UIO (a file that is not a UIO device), EACCES/EPERM (permission, with advice).
 */
export function openUioDevice(device: number | string, options: UioDeviceOptions & { writable?: boolean } = {}): UioDevice {
  const o = toOptions<UioDeviceOptions & { writable?: boolean }>(options, 'options', ['sysfs', 'dev', 'writable']);
  const { sys, dev } = roots(o);
  const writable = o.writable === undefined ? true : toBool(o.writable, 'options.writable');
  const index = deviceIndex(device, sys, dev);
  if (!fs.existsSync(path.join(sys, 'class', 'uio', `uio${index}`))) {
    throw codedError('ERR_MMAPKIT_DEVICE', `No such UIO device: uio${index} (no ${path.join(sys, 'class', 'uio', `uio${index}`)}). ${present(sys, dev)}`);
  }
  const info = readInfo(sys, dev, index);
  const file = typeof device === 'string' && !/^(?:\/dev\/)?uio\d+$/.test(device) ? device : info.path;
  let fd: number;
  try {
    fd = fs.openSync(file, (writable ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | fs.constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw systemError(
        e.errno ?? 13,
        'open',
        file,
        'permission denied',
        `Opening ${file} needs root or access to the device node: 'chmod'/'chgrp' it, or add a udev rule such as ` +
          `SUBSYSTEM=="uio", GROUP="uio", MODE="0660" and join that group.`,
      );
    }
    if (e.code === 'ENOENT') {
      throw codedError(
        'ERR_MMAPKIT_DEVICE',
        `No device node ${file} for ${info.id} (${info.name}): devtmpfs is not mounted on ${dev}, or udev has not made the node yet`,
      );
    }
    throw systemError(typeof e.errno === 'number' ? e.errno : 5, 'open', file);
  }
  return new UioDevice(info, fd, sys, dev);
}
