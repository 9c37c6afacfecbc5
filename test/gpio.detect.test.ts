// Board detection from device-tree folders built here, one per model, plus machines that are not
// a Raspberry Pi.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { detectRaspberryPi, parseSocRanges, socFromRevision } from '../lib/gpio';
import { tempDir } from './support/helpers';

function be32(...cells: number[]): Buffer {
  const b = Buffer.alloc(cells.length * 4);
  cells.forEach((c, i) => b.writeUInt32BE(c >>> 0, i * 4));
  return b;
}

interface Fixture {
  compatible?: string[];
  model?: string;
  ranges?: Buffer;
  revision?: number;
  cpuinfo?: string;
  /** The root's and the soc node's #address-cells. */
  cells?: [number, number];
}

const BASE = tempDir('mmapkit-dt-');
let serial = 0;

/** Writes a folder shaped like /proc/device-tree (and a sibling cpuinfo when given). */
function deviceTree(f: Fixture): string {
  const root = path.join(BASE, String(serial++), 'device-tree');
  fs.mkdirSync(path.join(root, 'soc'), { recursive: true });
  fs.mkdirSync(path.join(root, 'system'), { recursive: true });
  if (f.compatible) fs.writeFileSync(path.join(root, 'compatible'), f.compatible.map((c) => c + '\0').join(''));
  if (f.model) fs.writeFileSync(path.join(root, 'model'), f.model + '\0');
  if (f.ranges) fs.writeFileSync(path.join(root, 'soc', 'ranges'), f.ranges);
  if (f.revision !== undefined) fs.writeFileSync(path.join(root, 'system', 'linux,revision'), be32(f.revision));
  if (f.cells) {
    fs.writeFileSync(path.join(root, '#address-cells'), be32(f.cells[0]));
    fs.writeFileSync(path.join(root, 'soc', '#address-cells'), be32(f.cells[1]));
  }
  if (f.cpuinfo) fs.writeFileSync(path.join(path.dirname(root), 'cpuinfo'), f.cpuinfo);
  return root;
}

describe('detectRaspberryPi', () => {
  test('Pi 1 Model B: BCM2835 at 0x20000000', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,model-b', 'brcm,bcm2835'],
      model: 'Raspberry Pi Model B Rev 2',
      ranges: be32(0x7e000000, 0x20000000, 0x01000000, 0x40000000, 0x40000000, 0x00001000),
      revision: 0x000e,
    });
    const info = detectRaspberryPi({ deviceTree: dt });
    expect(info).toMatchObject({
      soc: 'BCM2835',
      chip: 'bcm2835',
      pinCount: 54,
      peripheralBase: 0x20000000,
      gpioBase: 0x20200000,
      gpioLength: 0x1000,
      gpiomem: '/dev/gpiomem',
      revision: 0x000e,
      model: 'Raspberry Pi Model B Rev 2',
    });
    expect(info.sources).toEqual({ soc: 'compatible', peripheralBase: 'soc/ranges' });
  });

  test('Pi 2: BCM2836 at 0x3F000000', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,2-model-b', 'brcm,bcm2836'],
      model: 'Raspberry Pi 2 Model B Rev 1.1',
      ranges: be32(0x7e000000, 0x3f000000, 0x01000000, 0x40000000, 0x40000000, 0x00040000),
      revision: 0xa21041,
    });
    expect(detectRaspberryPi({ deviceTree: dt })).toMatchObject({ soc: 'BCM2836', chip: 'bcm2835', peripheralBase: 0x3f000000, gpioBase: 0x3f200000 });
  });

  test('Pi 3: BCM2837 at 0x3F000000', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,3-model-b', 'brcm,bcm2837'],
      model: 'Raspberry Pi 3 Model B Rev 1.2',
      ranges: be32(0x7e000000, 0x3f000000, 0x01000000, 0x40000000, 0x40000000, 0x00001000),
      revision: 0xa02082,
    });
    expect(detectRaspberryPi({ deviceTree: dt })).toMatchObject({
      soc: 'BCM2837',
      chip: 'bcm2835',
      pinCount: 54,
      peripheralBase: 0x3f000000,
      gpioBase: 0x3f200000,
      revision: 0xa02082,
    });
  });

  test('Pi 4: BCM2711, two-cell soc/ranges parent address 0xFE000000', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,4-model-b', 'brcm,bcm2711'],
      model: 'Raspberry Pi 4 Model B Rev 1.4',
      ranges: be32(0x7e000000, 0x0, 0xfe000000, 0x01800000, 0x7c000000, 0x0, 0xfc000000, 0x02000000),
      revision: 0xd03114,
      cells: [2, 1],
    });
    expect(detectRaspberryPi({ deviceTree: dt })).toMatchObject({
      soc: 'BCM2711',
      chip: 'bcm2711',
      pinCount: 58,
      peripheralBase: 0xfe000000,
      gpioBase: 0xfe200000,
      gpiomem: '/dev/gpiomem',
    });
  });

  test('Pi 5: BCM2712 with RP1 behind PCIe, /dev/gpiomem0', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,5-model-b', 'brcm,bcm2712'],
      model: 'Raspberry Pi 5 Model B Rev 1.0',
      ranges: be32(0x7c000000, 0x10, 0x7c000000, 0x04000000),
      revision: 0xc04170,
      cells: [2, 1],
    });
    const info = detectRaspberryPi({ deviceTree: dt });
    expect(info).toMatchObject({ soc: 'BCM2712', chip: 'rp1', pinCount: 54, gpiomem: '/dev/gpiomem0', gpioLength: 0x30000, gpioBase: 0x1f000d0000 });
    expect(info.peripheralBase).toBe(0x107c000000);
  });

  test('no SoC compatible: the revision code decides (processor field), base from soc/ranges', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,4-compute-module'],
      model: 'Raspberry Pi Compute Module 4 Rev 1.0',
      ranges: be32(0x7e000000, 0x0, 0xfe000000, 0x01800000),
      revision: 0xb03140,
    });
    const info = detectRaspberryPi({ deviceTree: dt });
    expect(info).toMatchObject({ soc: 'BCM2711', chip: 'bcm2711', peripheralBase: 0xfe000000 });
    expect(info.sources.soc).toBe('revision code');
  });

  test('revision from cpuinfo when the device tree has none; default base when there is no soc/ranges', () => {
    const dt = deviceTree({
      model: 'Raspberry Pi Zero 2 W Rev 1.0',
      cpuinfo: 'processor\t: 0\nBogoMIPS\t: 38.40\n\nHardware\t: BCM2835\nRevision\t: 902120\nSerial\t\t: 00000000\nModel\t\t: Raspberry Pi Zero 2 W Rev 1.0\n',
    });
    const info = detectRaspberryPi({ deviceTree: dt });
    expect(info).toMatchObject({ soc: 'BCM2837', peripheralBase: 0x3f000000, revision: 0x902120 });
    expect(info.sources).toEqual({ soc: 'revision code', peripheralBase: 'BCM2837 default' });
  });

  test('socFromRevision and parseSocRanges check their arguments; parseSocRanges takes any Uint8Array', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(() => socFromRevision(11845285278074076368n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => socFromRevision(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => socFromRevision(2 ** 32))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => parseSocRanges('ranges' as unknown as Buffer))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => parseSocRanges(be32(1, 2, 3), { child: '1' } as unknown as { child: number; parent: number }))).toBe('ERR_INVALID_ARG_TYPE');
    const b = be32(0x7e000000, 0x3f000000, 0x01000000);
    expect(parseSocRanges(new Uint8Array(b))).toBe(parseSocRanges(b));
    expect(parseSocRanges(b)).toBe(0x3f000000);
  });

  test('old-style revision codes are the original BCM2835 Pi 1; flag bits above 23 are ignored', () => {
    expect(socFromRevision(0x0002)).toBe('BCM2835');
    expect(socFromRevision(0x1000000 | 0xa02082)).toBe('BCM2837');
    expect(socFromRevision(0xa22042)).toBe('BCM2837');
    expect(socFromRevision(0xc04170)).toBe('BCM2712');
    const dt = deviceTree({ model: 'Raspberry Pi Model B', revision: 0x1000000 | 0xd03114 });
    expect(detectRaspberryPi({ deviceTree: dt })).toMatchObject({ soc: 'BCM2711', revision: 0xd03114 });
  });

  test('Pi 4 with high peripherals (arm_peri_high): parent address 0x4_7E000000 read with the cell counts', () => {
    const dt = deviceTree({
      compatible: ['raspberrypi,4-model-b', 'brcm,bcm2711'],
      model: 'Raspberry Pi 4 Model B Rev 1.5',
      ranges: be32(0x7e000000, 0x4, 0x7e000000, 0x01800000),
      cells: [2, 1],
    });
    expect(detectRaspberryPi({ deviceTree: dt })).toMatchObject({ peripheralBase: 0x47e000000, gpioBase: 0x47e200000 });
  });

  test('parseSocRanges: one-cell and two-cell parent addresses', () => {
    expect(parseSocRanges(be32(0x7e000000, 0x3f000000, 0x01000000), { child: 1, parent: 1 })).toBe(0x3f000000);
    expect(parseSocRanges(be32(0x7c000000, 0x10, 0x7c000000, 0x04000000), { child: 1, parent: 2 })).toBe(0x107c000000);
    expect(parseSocRanges(be32(0x7e000000, 0x3f000000, 0x01000000))).toBe(0x3f000000);
    expect(parseSocRanges(be32(0x7e000000, 0, 0xfe000000, 0x01800000))).toBe(0xfe000000);
    expect(parseSocRanges(Buffer.alloc(4))).toBeNull();
  });

  test('a machine that is not a Raspberry Pi: ERR_MMAPKIT_NOT_RASPBERRY_PI saying what was found', () => {
    const dt = deviceTree({ compatible: ['linux,dummy-virt'], model: 'linux,dummy-virt', ranges: be32(0, 0x08000000, 0x1000) });
    let err: unknown;
    try {
      detectRaspberryPi({ deviceTree: dt });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_MMAPKIT_NOT_RASPBERRY_PI' });
    expect((err as Error).message).toBe('not a Raspberry Pi: found compatible "linux,dummy-virt", model "linux,dummy-virt"');
  });

  test('no device tree at all (a PC): the error names the folder and the machine', () => {
    const missing = path.join(BASE, 'no-such-device-tree');
    expect(() => detectRaspberryPi({ deviceTree: missing, cpuinfo: null })).toThrow(
      expect.objectContaining({ code: 'ERR_MMAPKIT_NOT_RASPBERRY_PI', message: `not a Raspberry Pi: found no device tree at ${missing}` }),
    );
  });

  test('another Broadcom-free arm64 board with a revision-like cpuinfo is still refused', () => {
    const dt = deviceTree({
      compatible: ['pine64,rockpro64', 'rockchip,rk3399'],
      model: 'Pine64 RockPro64 v2.1',
      cpuinfo: 'Hardware\t: Rockchip\nRevision\t: 0000\n',
    });
    expect(() => detectRaspberryPi({ deviceTree: dt })).toThrow(
      /not a Raspberry Pi: found compatible "pine64,rockpro64", "rockchip,rk3399", model "Pine64 RockPro64 v2.1", revision 0/,
    );
  });
});
