/**
 * Finding devices and opening their register windows: PCI devices through sysfs (busybox has no
 * lspci), PCI BARs through their resource files, UIO maps through /dev/uioN.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codedError } from '../errors';
import { binding } from '../native';
import { invalidType, invalidValue, outOfRange, toInt, toLength, toOffset, toOptions, toStr } from '../validate';
import { openRegisterWindow, type RegisterWindow, type RegisterWindowOptions } from './window';

/** IORESOURCE_IO / IORESOURCE_MEM / IORESOURCE_PREFETCH / IORESOURCE_MEM_64 flag bits of sysfs `resource`. */
const IORESOURCE_IO = 0x100n;
const IORESOURCE_MEM = 0x200n;
const IORESOURCE_PREFETCH = 0x2000n;

/** One line of a PCI device's sysfs `resource` file. */
export interface PciResource {
  /** BAR number (0–5), or the line index for the ROM and bridge windows after them. */
  index: number;
  /** Bus address of the first byte: the physical address to map through /dev/mem, or the first I/O port. */
  start: bigint;
  /** Bytes (0 when the BAR is not implemented). */
  size: bigint;
  flags: bigint;
  /** 'mem' (MMIO, mappable), 'io' (I/O ports: use openPorts) or 'none'. */
  kind: 'mem' | 'io' | 'none';
  prefetchable: boolean;
}

/** A PCI function as sysfs shows it. */
export interface PciDevice {
  /** Domain:bus:device.function, e.g. '0000:00:04.0'. */
  bdf: string;
  vendor: number;
  device: number;
  /** 24-bit class code. */
  class: number;
  /** The sysfs folder. */
  path: string;
  resources: PciResource[];
}

/** Options shared by the sysfs-walking functions. */
export interface SysfsOptions {
  /** Where sysfs is mounted. Default '/sys' (tests point it at a folder of their own). */
  sysfs?: string;
}

function readHex(file: string): number {
  return Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 16);
}

/** Parses a sysfs PCI `resource` file. */
export function parsePciResources(text: string): PciResource[] {
  if (typeof text !== 'string') throw invalidType('text', 'of type string', text);
  const out: PciResource[] = [];
  text.split('\n').forEach((line, index) => {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) return;
    if (!parts.slice(0, 3).every((p) => /^(?:0x[0-9a-f]+|[0-9]+)$/i.test(p))) {
      throw codedError(
        'ERR_INVALID_ARG_VALUE',
        `Line ${index + 1} of the PCI resource text is not three numbers (start end flags). Received '${line.trim().slice(0, 60)}'`,
      );
    }
    const [start, end, flags] = parts.slice(0, 3).map((p) => BigInt(p));
    const size = end === 0n && start === 0n ? 0n : end - start + 1n;
    const kind = size === 0n ? 'none' : (flags & IORESOURCE_IO) !== 0n ? 'io' : (flags & IORESOURCE_MEM) !== 0n ? 'mem' : 'none';
    out.push({ index, start, size, flags, kind, prefetchable: (flags & IORESOURCE_PREFETCH) !== 0n });
  });
  return out;
}

/** The sysfs mount point of an options object (default '/sys'), checked. */
function sysfsRoot(options: SysfsOptions): string {
  return options.sysfs === undefined ? '/sys' : toStr(options.sysfs, 'options.sysfs');
}

function pciRoot(options: SysfsOptions): string {
  return path.join(sysfsRoot(options), 'bus', 'pci', 'devices');
}

function readDevice(root: string, bdf: string): PciDevice {
  const dir = path.join(root, bdf);
  let resources: PciResource[];
  try {
    resources = parsePciResources(fs.readFileSync(path.join(dir, 'resource'), 'utf8'));
  } catch {
    resources = [];
  }
  let cls: number;
  try {
    cls = readHex(path.join(dir, 'class'));
  } catch {
    cls = 0;
  }
  return { bdf, vendor: readHex(path.join(dir, 'vendor')), device: readHex(path.join(dir, 'device')), class: cls, path: dir, resources };
}

/**
 * PCI functions matching `vendor` and/or `device` (all when neither is given), from
 * /sys/bus/pci/devices/&#42;/{vendor,device,resource}. An empty array when none match or there is no PCI.
 */
export function findPciDevices(filter: { vendor?: number; device?: number } & SysfsOptions = {}): PciDevice[] {
  const f = toOptions<{ vendor: number; device: number } & SysfsOptions>(filter, 'filter', ['vendor', 'device', 'sysfs']);
  if (f.vendor !== undefined) toInt(f.vendor, 'filter.vendor', 0, 0xffff);
  if (f.device !== undefined) toInt(f.device, 'filter.device', 0, 0xffff);
  const root = pciRoot(f);
  let names: string[];
  try {
    names = fs.readdirSync(root).sort();
  } catch {
    return [];
  }
  const out: PciDevice[] = [];
  for (const bdf of names) {
    let dev: PciDevice;
    try {
      dev = readDevice(root, bdf);
    } catch {
      continue;
    }
    if (f.vendor !== undefined && dev.vendor !== f.vendor) continue;
    if (f.device !== undefined && dev.device !== f.device) continue;
    out.push(dev);
  }
  return out;
}

/** Adds the '0000:' domain when a bus:device.function is given without one. */
export function normalizeBdf(bdf: string): string {
  if (typeof bdf !== 'string') throw invalidType('bdf', 'of type string', bdf);
  const s = bdf.trim().toLowerCase();
  if (/^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(s)) return s;
  if (/^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(s)) return '0000:' + s;
  throw invalidValue('bdf', "of the form '0000:00:04.0' or '00:04.0'", bdf);
}

/** Options of {@link openPciBar}. */
export interface PciBarOptions extends SysfsOptions {
  /** Byte offset into the BAR. Default 0. */
  offset?: number | bigint;
  /** Bytes to map. Default: from `offset` to the end of the BAR. */
  length?: number;
  writable?: boolean;
  widths?: RegisterWindowOptions['widths'];
}

/**
 * Maps BAR `bar` of PCI function `bdf` through /sys/bus/pci/devices/<bdf>/resource<bar>. Works
 * where /dev/mem is missing or strict; needs root (the file is mode 0600).
 */
export function openPciBar(bdf: string, bar: number, options: PciBarOptions = {}): RegisterWindow {
  const id = normalizeBdf(bdf);
  if (typeof bar !== 'number') throw invalidType('bar', 'of type number', bar);
  if (!Number.isInteger(bar) || bar < 0 || bar > 5) {
    throw outOfRange('bar', 'an integer from 0 to 5', bar);
  }
  options = toOptions<PciBarOptions>(options, 'options', ['sysfs', 'offset', 'length', 'writable', 'widths']);
  const dir = path.join(pciRoot(options), id);
  if (!fs.existsSync(dir)) throw codedError('ERR_MMAPKIT_DEVICE', `No PCI device ${id} (no ${dir})`);
  const res = parsePciResources(fs.readFileSync(path.join(dir, 'resource'), 'utf8'))[bar];
  if (res === undefined || res.kind === 'none') throw codedError('ERR_MMAPKIT_DEVICE', `PCI device ${id} has no BAR ${bar}`);
  if (res.kind === 'io') {
    throw codedError(
      'ERR_MMAPKIT_UNSUPPORTED',
      `BAR ${bar} of PCI device ${id} is an I/O-port BAR (ports 0x${res.start.toString(16)}–0x${(res.start + res.size - 1n).toString(16)}): use openPorts() instead of a window`,
    );
  }
  const offset = toOffset(options.offset ?? 0, 'options.offset');
  if (offset >= res.size) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `The value of "options.offset" is out of range. It must be below the size of BAR ${bar} (0x${res.size.toString(16)}). Received 0x${offset.toString(16)}`,
    );
  }
  const length = options.length === undefined ? Number(res.size - offset) : toLength(options.length, 'options.length');
  if (offset + BigInt(length) > res.size) {
    throw codedError(
      'ERR_OUT_OF_RANGE',
      `The window [0x${offset.toString(16)}, 0x${(offset + BigInt(length)).toString(16)}) reaches past the end of BAR ${bar} of ${id} (0x${res.size.toString(16)} bytes)`,
    );
  }
  return openRegisterWindow({ path: path.join(dir, `resource${bar}`), offset, length, writable: options.writable, widths: options.widths });
}

/** Options of {@link openUio}. */
export interface UioOptions extends SysfsOptions {
  writable?: boolean;
  widths?: RegisterWindowOptions['widths'];
  /** Folder of the device nodes. Default '/dev'. */
  dev?: string;
}

/**
 * Maps map `map` (default 0) of a UIO device: /dev/uioN at file offset map × page size, with the
 * size (and the offset of the registers within the first page) from /sys/class/uio/uioN/maps/mapM.
 * `device` is N, 'uioN' or a '/dev/uioN' path.
 */
export function openUio(device: number | string, map = 0, options: UioOptions = {}): RegisterWindow {
  let n: number;
  if (typeof device === 'number') n = device;
  else if (typeof device === 'string' && /^(?:\/dev\/)?uio(\d+)$/.test(device)) n = Number(/(\d+)$/.exec(device)![1]);
  else throw invalidType('device', "a UIO device number, 'uioN' or '/dev/uioN'", device);
  if (!Number.isInteger(n) || n < 0) throw codedError('ERR_OUT_OF_RANGE', `The UIO device number must be a non-negative integer. Received ${n}`);
  if (typeof map !== 'number') throw invalidType('map', 'of type number', map);
  if (!Number.isInteger(map) || map < 0 || map > 4) {
    throw outOfRange('map', 'an integer from 0 to 4', map);
  }
  options = toOptions<UioOptions>(options, 'options', ['sysfs', 'writable', 'widths', 'dev']);
  const devDir = options.dev === undefined ? '/dev' : toStr(options.dev, 'options.dev');
  const mapDir = path.join(sysfsRoot(options), 'class', 'uio', `uio${n}`, 'maps', `map${map}`);
  let size: number;
  try {
    size = Number.parseInt(fs.readFileSync(path.join(mapDir, 'size'), 'utf8').trim(), 16);
  } catch {
    throw codedError('ERR_MMAPKIT_DEVICE', `UIO device uio${n} has no map ${map} (no ${mapDir}/size)`);
  }
  let within: number;
  try {
    within = Number.parseInt(fs.readFileSync(path.join(mapDir, 'offset'), 'utf8').trim(), 16) || 0;
  } catch {
    within = 0;
  }
  const page = binding().regsPageSize;
  return openRegisterWindow({
    path: path.join(devDir, `uio${n}`),
    offset: BigInt(map * page + within),
    length: size,
    writable: options.writable,
    widths: options.widths,
  });
}
