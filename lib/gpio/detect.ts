/**
 * Which Raspberry Pi is this? Reads the device tree (`compatible`, `model`, `soc/ranges`,
 * `system/linux,revision`) and /proc/cpuinfo's `Revision`, and works out the SoC, the GPIO chip
 * and where its registers are.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codedError } from '../errors';
import { checkLoop, detachedError, isDetached } from '../views';
import { invalidType, toInt, toOptions } from '../validate';
import { GPIO_PIN_COUNTS, type GpioChipKind } from './tables';

export type RaspberryPiSoc = 'BCM2835' | 'BCM2836' | 'BCM2837' | 'BCM2711' | 'BCM2712';

/** What {@link detectRaspberryPi} found. */
export interface RaspberryPiInfo {
  /** The board, from the device tree's `model` (or /proc/cpuinfo's `Model`). */
  model: string;
  soc: RaspberryPiSoc;
  /** The GPIO block: BCM2835 (Pi 1–3), BCM2711 (Pi 4) or RP1 (Pi 5). */
  chip: GpioChipKind;
  pinCount: number;
  /** The ARM physical address of the peripherals (from `soc/ranges`, else the SoC's usual one). */
  peripheralBase: number;
  /** Physical address of the GPIO registers, for /dev/mem. */
  gpioBase: number;
  /** Bytes of the GPIO register window. */
  gpioLength: number;
  /** The device file that maps just the GPIO block without root (Pi OS kernels). */
  gpiomem: string;
  /** The revision code, or null when neither the device tree nor /proc/cpuinfo has one. */
  revision: number | null;
  /** The device tree's `compatible` strings. */
  compatible: string[];
  /** Where each fact came from, for messages and debugging. */
  sources: { soc: string; peripheralBase: string };
}

export interface DetectRaspberryPiOptions {
  /** Device-tree root. Default '/proc/device-tree'. */
  deviceTree?: string;
  /**
   * A cpuinfo file to read `Revision`/`Model` from; null to skip. Default '/proc/cpuinfo' when
   * deviceTree is the default, else `<deviceTree>/../cpuinfo` if that exists.
   */
  cpuinfo?: string | null;
}

const DEFAULT_BASE: Record<RaspberryPiSoc, number> = {
  BCM2835: 0x20000000,
  BCM2836: 0x3f000000,
  BCM2837: 0x3f000000,
  BCM2711: 0xfe000000,
  BCM2712: 0x107c000000,
};
/** RP1's GPIO registers as the Pi 5 firmware places RP1's PCIe window (what /dev/gpiomem0 maps). */
const RP1_GPIO_PHYS = 0x1f000d0000;
const BY_PROCESSOR: RaspberryPiSoc[] = ['BCM2835', 'BCM2836', 'BCM2837', 'BCM2711', 'BCM2712'];

/** @internal Checks the options of {@link detectRaspberryPi}; `extra` keys are a caller's own. */
export function toDetectOptions<T extends DetectRaspberryPiOptions>(options: unknown, extra: readonly string[] = []): T {
  const o = toOptions<T>(options, 'options', ['deviceTree', 'cpuinfo', ...extra]);
  if (o.deviceTree !== undefined && typeof o.deviceTree !== 'string') throw invalidType('options.deviceTree', 'of type string', o.deviceTree);
  if (o.cpuinfo !== undefined && o.cpuinfo !== null && typeof o.cpuinfo !== 'string') throw invalidType('options.cpuinfo', 'of type string or null', o.cpuinfo);
  return o as T;
}

function readMaybe(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

function strings(buf: Buffer | null): string[] {
  if (!buf) return [];
  return buf
    .toString('latin1')
    .split('\0')
    .filter((s) => s.length > 0);
}

/** The revision code's processor field (new-style codes only), as a SoC. */
export function socFromRevision(rev: number): RaspberryPiSoc | null {
  toInt(rev, 'rev', 0, 0xffffffff);
  if ((rev & 0x800000) === 0) return 'BCM2835'; // old-style codes: the original Pi 1
  return BY_PROCESSOR[(rev >>> 12) & 0xf] ?? null;
}

/**
 * The parent (ARM physical) address of the first range of `soc/ranges` (big-endian 32-bit cells).
 * With the cell counts (the soc node's `#address-cells` for the child address, the root's for the
 * parent address) the parent address is read exactly — two cells on the Pi 4 (0x0 0xfe000000, or
 * 0x4 0x7e000000 with high peripherals) and the Pi 5 (0x10 0x7c000000). Without them: the cell at
 * byte 4, or at byte 8 when that is 0.
 */
export function parseSocRanges(buf: Uint8Array, cells?: { child: number; parent: number }): number | null {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'an instance of Buffer or Uint8Array', buf);
  if (buf.byteLength === 0 && isDetached(buf.buffer)) throw detachedError(buf.buffer, 'buf');
  if (cells !== undefined) {
    const c = toOptions<{ child: number; parent: number }>(cells, 'cells', ['child', 'parent']);
    if (typeof c.child !== 'number') throw invalidType('cells.child', 'of type number', c.child);
    if (typeof c.parent !== 'number') throw invalidType('cells.parent', 'of type number', c.parent);
    if (!Number.isSafeInteger(c.child) || !Number.isSafeInteger(c.parent)) {
      throw codedError('ERR_OUT_OF_RANGE', `The cell counts must be integers. Received child ${c.child}, parent ${c.parent}`);
    }
  }
  // Only the first few cells are read, but in JavaScript: a mapping's bytes are checked first.
  const used = Math.min(buf.byteLength, cells ? 4 * Math.max(0, Math.min(cells.child + cells.parent, 64)) : 12);
  checkLoop(buf.buffer, buf.byteOffset, used, 'read', 'parseSocRanges()')?.(0, used);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (cells && cells.child >= 1 && cells.parent >= 1 && cells.parent <= 2 && b.length >= 4 * (cells.child + cells.parent)) {
    let v = 0;
    for (let i = 0; i < cells.parent; i++) v = v * 2 ** 32 + b.readUInt32BE(4 * (cells.child + i));
    return v;
  }
  if (b.length >= 12) {
    const a = b.readUInt32BE(4);
    if (a !== 0) return a;
    return b.readUInt32BE(8);
  }
  if (b.length >= 8) return b.readUInt32BE(4);
  return null;
}

function readCells(file: string): number | null {
  const b = readMaybe(file);
  return b && b.length === 4 ? b.readUInt32BE(0) : null;
}

function socFromCompatible(compatible: string[]): RaspberryPiSoc | null {
  for (const c of compatible) {
    const m = /^brcm,bcm(2835|2836|2837|2711|2712)$/.exec(c);
    if (m) return `BCM${m[1]}` as RaspberryPiSoc;
  }
  return null;
}

function cpuinfoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = m[2].trim();
  }
  return out;
}

/**
 * Detects the Raspberry Pi model, SoC and GPIO register location.
 * Throws ERR_MMAPKIT_NOT_RASPBERRY_PI (saying what was found) on any other machine.
 */
export function detectRaspberryPi(options: DetectRaspberryPiOptions = {}): RaspberryPiInfo {
  options = toDetectOptions(options);
  const dt = options.deviceTree ?? '/proc/device-tree';
  let cpuinfoPath = options.cpuinfo;
  if (cpuinfoPath === undefined) {
    if (options.deviceTree === undefined) cpuinfoPath = '/proc/cpuinfo';
    else {
      const sibling = path.join(path.dirname(path.resolve(dt)), 'cpuinfo');
      cpuinfoPath = fs.existsSync(sibling) ? sibling : null;
    }
  }
  const compatible = strings(readMaybe(path.join(dt, 'compatible')));
  const dtModel = strings(readMaybe(path.join(dt, 'model')))[0] ?? '';
  const ranges = readMaybe(path.join(dt, 'soc', 'ranges'));
  const revBuf = readMaybe(path.join(dt, 'system', 'linux,revision'));
  const cpuText = cpuinfoPath ? (readMaybe(cpuinfoPath)?.toString('latin1') ?? '') : '';
  const cpu = cpuinfoFields(cpuText);

  let revision: number | null = null;
  if (revBuf && revBuf.length >= 4) revision = revBuf.readUInt32BE(0);
  else if (cpu.Revision && /^[0-9a-f]+$/i.test(cpu.Revision)) revision = parseInt(cpu.Revision, 16);
  if (revision !== null) revision &= 0x00ffffff; // bits 24+ are warranty/overvoltage flags

  const model = dtModel || cpu.Model || '';
  const piCompatible = compatible.some((c) => c.startsWith('raspberrypi,'));
  const looksPi = piCompatible || /^Raspberry Pi/.test(model) || (revision !== null && /^BCM2[78]/.test(cpu.Hardware ?? ''));

  let soc = socFromCompatible(compatible);
  let socSource = 'compatible';
  if (!soc && looksPi && revision !== null) {
    soc = socFromRevision(revision);
    socSource = 'revision code';
  }
  const parentCells = readCells(path.join(dt, '#address-cells'));
  const childCells = readCells(path.join(dt, 'soc', '#address-cells'));
  const rangesBase = ranges ? parseSocRanges(ranges, parentCells !== null ? { child: childCells ?? 1, parent: parentCells } : undefined) : null;
  if (!soc && looksPi && rangesBase !== null) {
    soc = rangesBase === 0x20000000 ? 'BCM2835' : rangesBase === 0x3f000000 ? 'BCM2837' : rangesBase === 0xfe000000 ? 'BCM2711' : null;
    socSource = 'soc/ranges';
  }
  if (!soc || (!looksPi && !socFromCompatible(compatible))) {
    const found: string[] = [];
    if (!fs.existsSync(dt)) found.push(`no device tree at ${dt}`);
    else {
      found.push(compatible.length ? `compatible "${compatible.join('", "')}"` : `no ${path.join(dt, 'compatible')}`);
      found.push(model ? `model "${model}"` : 'no model');
    }
    if (revision !== null) found.push(`revision ${revision.toString(16)}`);
    if (cpu.Hardware) found.push(`cpuinfo Hardware "${cpu.Hardware}"`);
    if (options.deviceTree === undefined) {
      const cpuName = cpu['model name'] ?? os.cpus()[0]?.model;
      found.push(`a ${os.arch()} machine${cpuName ? ` (${cpuName})` : ''}`);
    }
    throw codedError('ERR_MMAPKIT_NOT_RASPBERRY_PI', `not a Raspberry Pi: found ${found.join(', ')}`);
  }

  const chip: GpioChipKind = soc === 'BCM2712' ? 'rp1' : soc === 'BCM2711' ? 'bcm2711' : 'bcm2835';
  const peripheralBase = rangesBase ?? DEFAULT_BASE[soc];
  const rp1 = chip === 'rp1';
  return {
    model: model || `Raspberry Pi (${soc})`,
    soc,
    chip,
    pinCount: GPIO_PIN_COUNTS[chip],
    peripheralBase,
    gpioBase: rp1 ? RP1_GPIO_PHYS : peripheralBase + 0x200000,
    gpioLength: rp1 ? 0x30000 : 0x1000,
    gpiomem: rp1 ? '/dev/gpiomem0' : '/dev/gpiomem',
    revision,
    compatible,
    sources: { soc: socSource, peripheralBase: rangesBase !== null ? 'soc/ranges' : `${soc} default` },
  };
}
