import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPciDevices, normalizeBdf, openPciBar, openPorts, openRegisterWindow, openUio, parsePciResources } from '../lib/regs';

// A sysfs tree in a temporary folder, laid out like the kernel's: two PCI functions (an edu-like
// device with a 1 MiB memory BAR0 and an I/O-port BAR1, and another vendor's device), and one UIO
// device whose map 1 starts 0x40 bytes into its page. The BAR and UIO "device files" are regular
// files, as sysfs resource files are.
let root: string;
const EDU = '0000:00:03.0';

function line(start: bigint, end: bigint, flags: bigint): string {
  const h = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');
  return `${h(start)} ${h(end)} ${h(flags)}`;
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-sysfs-'));
  const dev = (bdf: string, vendor: string, device: string, resources: string[]): string => {
    const d = path.join(root, 'bus', 'pci', 'devices', bdf);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'vendor'), vendor + '\n');
    fs.writeFileSync(path.join(d, 'device'), device + '\n');
    fs.writeFileSync(path.join(d, 'class'), '0x00ff00\n');
    fs.writeFileSync(path.join(d, 'resource'), resources.join('\n') + '\n');
    return d;
  };
  const zero = line(0n, 0n, 0n);
  const d = dev(EDU, '0x1234', '0x11e8', [line(0xfea00000n, 0xfeafffffn, 0x40200n), line(0xc000n, 0xc03fn, 0x40101n), zero, zero, zero, zero, zero]);
  const bar0 = Buffer.alloc(0x100000);
  bar0.writeUInt32LE(0x010000ed, 0);
  fs.writeFileSync(path.join(d, 'resource0'), bar0);
  dev('0000:00:01.0', '0x8086', '0x7000', [zero, zero, zero, zero, zero, zero, zero]);

  const uio = path.join(root, 'class', 'uio', 'uio0', 'maps');
  fs.mkdirSync(path.join(uio, 'map0'), { recursive: true });
  fs.mkdirSync(path.join(uio, 'map1'), { recursive: true });
  fs.writeFileSync(path.join(uio, 'map0', 'size'), '0x1000\n');
  fs.writeFileSync(path.join(uio, 'map1', 'size'), '0x20\n');
  fs.writeFileSync(path.join(uio, 'map1', 'offset'), '0x40\n');
  fs.mkdirSync(path.join(root, 'dev'));
  const node = Buffer.alloc(2 * 4096);
  node.writeUInt32LE(0xaabbccdd, 0);
  node.writeUInt32LE(0x11223344, 4096 + 0x40);
  fs.writeFileSync(path.join(root, 'dev', 'uio0'), node);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('findPciDevices', () => {
  it('walks sysfs and matches vendor and device', () => {
    const all = findPciDevices({ sysfs: root });
    expect(all.map((d) => d.bdf)).toEqual(['0000:00:01.0', EDU]);
    const [edu] = findPciDevices({ vendor: 0x1234, device: 0x11e8, sysfs: root });
    expect(edu).toMatchObject({ bdf: EDU, vendor: 0x1234, device: 0x11e8, class: 0xff00 });
    expect(edu.resources[0]).toMatchObject({ index: 0, start: 0xfea00000n, size: 0x100000n, kind: 'mem', prefetchable: false });
    expect(edu.resources[1]).toMatchObject({ start: 0xc000n, size: 0x40n, kind: 'io' });
    expect(edu.resources[2].kind).toBe('none');
    expect(findPciDevices({ vendor: 0xdead, sysfs: root })).toEqual([]);
    expect(findPciDevices({ sysfs: path.join(root, 'nowhere') })).toEqual([]);
  });

  it('parses resource lines', () => {
    expect(parsePciResources(line(0x1000n, 0x1fffn, 0x2200n))[0]).toMatchObject({ size: 0x1000n, kind: 'mem', prefetchable: true });
  });

  it('normalizes bus addresses', () => {
    expect(normalizeBdf('00:03.0')).toBe(EDU);
    expect(normalizeBdf('0000:00:03.0')).toBe(EDU);
    expect(() => normalizeBdf('3.0')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('openPciBar', () => {
  it('maps the whole BAR through its resource file by default', () => {
    using w = openPciBar('00:03.0', 0, { sysfs: root });
    expect(w.size).toBe(0x100000);
    expect(w.path).toBe(path.join(root, 'bus', 'pci', 'devices', EDU, 'resource0'));
    expect(w.read32(0)).toBe(0x010000ed);
  });

  it('maps a part of the BAR', () => {
    using w = openPciBar(EDU, 0, { sysfs: root, offset: 0x1000, length: 0x100, writable: true });
    w.write32(0, 7);
    expect(fs.readFileSync(path.join(root, 'bus', 'pci', 'devices', EDU, 'resource0')).readUInt32LE(0x1000)).toBe(7);
  });

  it('refuses windows past the end of the BAR, I/O BARs and missing BARs or devices', () => {
    expect(() => openPciBar(EDU, 0, { sysfs: root, offset: 0xff000, length: 0x2000 })).toThrow(
      expect.objectContaining({
        code: 'ERR_OUT_OF_RANGE',
        message: 'The window [0xff000, 0x101000) reaches past the end of BAR 0 of 0000:00:03.0 (0x100000 bytes)',
      }),
    );
    expect(() => openPciBar(EDU, 0, { sysfs: root, offset: 0x100000 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => openPciBar(EDU, 1, { sysfs: root })).toThrow(
      expect.objectContaining({
        code: 'ERR_MMAPKIT_UNSUPPORTED',
        message: 'BAR 1 of PCI device 0000:00:03.0 is an I/O-port BAR (ports 0xc000–0xc03f): use openPorts() instead of a window',
      }),
    );
    expect(() => openPciBar(EDU, 2, { sysfs: root })).toThrow(
      expect.objectContaining({ code: 'ERR_MMAPKIT_DEVICE', message: 'PCI device 0000:00:03.0 has no BAR 2' }),
    );
    expect(() => openPciBar(EDU, 6, { sysfs: root })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => openPciBar('00:09.0', 0, { sysfs: root })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_DEVICE' }));
  });
});

describe('openUio', () => {
  it('maps map N at N pages into /dev/uioN with the size and offset from sysfs', () => {
    using m0 = openUio(0, 0, { sysfs: root, dev: path.join(root, 'dev') });
    expect(m0.size).toBe(0x1000);
    expect(m0.read32(0)).toBe(0xaabbccdd);
    using m1 = openUio('uio0', 1, { sysfs: root, dev: path.join(root, 'dev') });
    expect(m1.size).toBe(0x20);
    expect(m1.offset).toBe(4096n + 0x40n);
    expect(m1.read32(0)).toBe(0x11223344);
    expect(() => openUio('/dev/uio0', 2, { sysfs: root })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_DEVICE' }));
    expect(() => openUio('eth0' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('errors users meet without the device files', () => {
  it.skipIf(fs.existsSync('/dev/mem'))('a missing /dev/mem says what to map instead', () => {
    expect(() => openRegisterWindow({ offset: 0xfea00000, length: 4 })).toThrow(
      expect.objectContaining({
        code: 'ENOENT',
        syscall: 'open',
        path: '/dev/mem',
        message: expect.stringContaining('/sys/bus/pci/devices/<bdf>/resourceN'),
      }),
    );
  });

  it.skipIf(fs.existsSync('/dev/port'))('a missing /dev/port says so', () => {
    expect(() => openPorts()).toThrow(expect.objectContaining({ code: 'ENOENT', path: '/dev/port', message: expect.stringContaining("method 'ioperm'") }));
  });
});

describe('port validation', () => {
  it('refuses bad methods', () => {
    expect(() => openPorts({ method: 'outb' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
