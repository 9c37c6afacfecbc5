// The UIO API on this machine: parsing a UIO sysfs tree (a folder laid out as the kernel lays
// out /sys/class/uio, passed with the `sysfs` option) and the errors of openUioDevice against the
// real /sys and /dev. Real interrupts through /dev/uioN run in the QEMU guest (test/hw.edu.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listUioDevices, openUioDevice } from '../lib/uio';
import { expectCode, tempDir } from './support/helpers';

function sysfsTree(): string {
  const root = tempDir('mmapkit-uio-sysfs-');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text + '\n');
  };
  const pci = 'devices/pci0000:00/0000:00:03.0';
  fs.mkdirSync(path.join(root, pci), { recursive: true });
  write('class/uio/uio0/name', 'uio_pci_generic');
  write('class/uio/uio0/version', '0.01.0');
  write('class/uio/uio0/event', '42');
  write('class/uio/uio0/maps/map0/name', '0000:00:03.0');
  write('class/uio/uio0/maps/map0/addr', '0x00000000fea00000');
  write('class/uio/uio0/maps/map0/size', '0x0000000000100000');
  write('class/uio/uio0/maps/map0/offset', '0x0');
  fs.symlinkSync(path.join(root, pci), path.join(root, 'class/uio/uio0/device'));
  write('class/uio/uio10/name', 'my_fpga');
  write('class/uio/uio10/version', '1.2');
  write('class/uio/uio10/event', '0');
  write('class/uio/uio10/maps/map1/addr', '0x43c10000');
  write('class/uio/uio10/maps/map1/size', '0x1000');
  write('class/uio/uio10/maps/map1/offset', '0x80');
  write('class/uio/uio10/maps/map0/addr', '0x43c00000');
  write('class/uio/uio10/maps/map0/size', '0x10000');
  write('class/uio/uio2/name', 'plain');
  fs.mkdirSync(path.join(root, 'class/uio/not-uio'), { recursive: true });
  return root;
}

describe('listUioDevices', () => {
  it('reads name, version, event count, maps and the PCI function, in device order', () => {
    const sysfs = sysfsTree();
    const list = listUioDevices({ sysfs, dev: '/devx' });
    expect(list.map((d) => d.id)).toEqual(['uio0', 'uio2', 'uio10']);
    expect(list[0]).toEqual({
      index: 0,
      id: 'uio0',
      name: 'uio_pci_generic',
      version: '0.01.0',
      event: 42,
      pci: '0000:00:03.0',
      path: '/devx/uio0',
      maps: [{ index: 0, name: '0000:00:03.0', addr: 0xfea00000n, size: 0x100000, offset: 0 }],
    });
    expect(list[1]).toEqual({ index: 2, id: 'uio2', name: 'plain', version: '', event: 0, maps: [], path: '/devx/uio2' });
    expect(list[2].maps).toEqual([
      { index: 0, addr: 0x43c00000n, size: 0x10000, offset: 0 },
      { index: 1, addr: 0x43c10000n, size: 0x1000, offset: 0x80 },
    ]);
    expect(list[2].pci).toBeUndefined();
  });

  it('is empty where there is no UIO at all', () => {
    expect(listUioDevices({ sysfs: tempDir() })).toEqual([]);
  });

  it('checks its options', () => {
    expectCode(() => listUioDevices({ sys: '/' } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => listUioDevices({ sysfs: 1 } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('openUioDevice errors', () => {
  const noUio = !fs.existsSync('/sys/class/uio') || fs.readdirSync('/sys/class/uio').length === 0;

  it.runIf(noUio)('a missing device: ERR_MMAPKIT_DEVICE saying there are none and how to get one', () => {
    expectCode(
      () => openUioDevice(3),
      Error,
      'ERR_MMAPKIT_DEVICE',
      /^No such UIO device: uio3 \(no \/sys\/class\/uio\/uio3\)\. This system has no UIO devices\. Load a UIO driver .*uio_pci_generic\/new_id/,
    );
    expectCode(() => openUioDevice('/dev/uio3'), Error, 'ERR_MMAPKIT_DEVICE', /^No such UIO device: uio3/);
  });

  it('lists the devices there are when the one asked for is missing', () => {
    const sysfs = sysfsTree();
    expectCode(
      () => openUioDevice('uio5', { sysfs }),
      Error,
      'ERR_MMAPKIT_DEVICE',
      /UIO devices here: uio0 \(uio_pci_generic 0000:00:03\.0\), uio2 \(plain\), uio10 \(my_fpga\)\.$/,
    );
  });

  it('a file that is not a UIO device: ERR_MMAPKIT_NOT_UIO', () => {
    expectCode(() => openUioDevice('/dev/null'), Error, 'ERR_MMAPKIT_NOT_UIO', /^'\/dev\/null' is not a UIO device/);
    const file = path.join(tempDir(), 'regular');
    fs.writeFileSync(file, 'x');
    expectCode(() => openUioDevice(file), Error, 'ERR_MMAPKIT_NOT_UIO');
  });

  it('a path that does not exist: ERR_MMAPKIT_DEVICE', () => {
    expectCode(() => openUioDevice('/nonexistent/uio-ish'), Error, 'ERR_MMAPKIT_DEVICE', /^No such UIO device: '\/nonexistent\/uio-ish' does not exist\./);
  });

  it('a device node missing under the dev folder: ERR_MMAPKIT_DEVICE naming devtmpfs', () => {
    const sysfs = sysfsTree();
    expectCode(() => openUioDevice(0, { sysfs, dev: tempDir() }), Error, 'ERR_MMAPKIT_DEVICE', /^No device node .*uio0 for uio0 \(uio_pci_generic\): devtmpfs/);
  });

  it('checks its arguments', () => {
    expectCode(() => openUioDevice(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => openUioDevice(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => openUioDevice({} as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openUioDevice(0, { writable: 'yes' } as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => openUioDevice(0, { mode: 1 } as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });
});
