// Real hardware: QEMU's Raspberry Pi 3 (raspi3b, BCM2837). scripts/qemu/pi/run.sh prepares the
// guest (arm64 kernel, busybox, Node 18, the cross-built addon, dist/) and boots it; inside,
// `mmapkit gpio` maps the GPIO block through /dev/mem (iomem=relaxed) and prints each step between
// @@BEGIN/@@END markers on the console. Each step becomes an assertion here. Where the rig cannot
// run (no root to install QEMU, no network …) every test is reported skipped with the reason.
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runRig, type Rig } from './support/rig';

const ROOT = path.resolve(__dirname, '..');

let rig: Rig;
let strictRig: Rig;

function step(name: string, from: Rig = rig): { rc: number; out: string } {
  const s = from.steps.get(name);
  if (!s) throw new Error(`the guest printed no '${name}' step; console tail:\n${from.console.slice(-3000)}\n${from.stderr.slice(-2000)}`);
  return s;
}

function json(name: string) {
  const s = step(name);
  expect(s.rc, s.out).toBe(0);
  return JSON.parse(s.out);
}

describe('Raspberry Pi 3 guest (QEMU raspi3b): mmapkit gpio through /dev/mem', () => {
  beforeAll(async () => {
    rig = await runRig(ROOT, 'scripts/qemu/pi/run.sh', ['normal']);
    strictRig = rig.skipped ? rig : await runRig(ROOT, 'scripts/qemu/pi/run.sh', ['strict']);
    for (const [name, r] of [
      ['normal', rig],
      ['strict', strictRig],
    ] as const) {
      const marks = r.console.split('\n').filter((l) => /^@@(HOST|GUEST)/.test(l));
      process.stdout.write(`[hw.pi ${name}] ${r.skipped ? `SKIPPED: ${r.skipped}` : marks.join(' | ')}\n`);
    }
  }, 600_000);

  test('the guest boots, runs every step and powers off', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    expect(rig.console).toMatch(/^@@GUEST-UP /m);
    expect(rig.console).toMatch(/^@@GUEST-DONE rc=0 /m);
    expect(rig.status, rig.stderr.slice(-2000)).toBe(0);
    expect(step('cmdline').out).toContain('iomem=relaxed');
    expect(step('node').out).toMatch(/^v18\.\d+\.\d+ napi \d+ arm64/);
  });

  test('detection reports a BCM2837 at 0x3F000000 from the device tree', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const info = json('info');
    expect(info.soc).toBe('BCM2837');
    expect(info.chip).toBe('bcm2835');
    expect(info.peripheralBase).toBe(0x3f000000);
    expect(info.sources.peripheralBase).toBe('soc/ranges');
    expect(info.gpioBase).toBe(0x3f200000);
    expect(info.model).toMatch(/^Raspberry Pi 3/);
    expect(info.compatible).toContain('brcm,bcm2837');
  });

  test('the probe lists 54 pins with the functions the kernel set up', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const probe = json('get-json');
    expect(probe.source).toBe('/dev/mem@0x3f200000');
    expect(probe.pins).toHaveLength(54);
    expect(probe.pins.map((p: { pin: number }) => p.pin)).toEqual(Array.from({ length: 54 }, (_, i) => i));
    const pin = (n: number) => probe.pins[n];
    // The upstream Pi 3 device tree: mini UART (ALT5) on the header, the PL011 (ALT3) on GPIO32/33.
    expect(pin(14)).toMatchObject({ function: 'alt5', fsel: 2, name: 'TXD1', pull: 'unknown', drive: null });
    expect(pin(15)).toMatchObject({ function: 'alt5', fsel: 2, name: 'RXD1' });
    expect(pin(32)).toMatchObject({ function: 'alt3', name: 'TXD0' });
    expect(pin(33)).toMatchObject({ function: 'alt3', name: 'RXD0' });
    for (const p of probe.pins) expect([0, 1]).toContain(p.level);
  });

  test('text formats: pinctrl get and raspi-gpio lines', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const lines = step('get-text').out.trimEnd().split('\n');
    expect(lines).toHaveLength(16);
    for (const l of lines) expect(l).toMatch(/^[ \d]\d: (ip|op|a[0-5]) {4}-- \| (hi|lo) \/\/ GPIO\d+ = \S+$/);
    expect(lines[14]).toMatch(/^14: a5 {4}-- \| (hi|lo) \/\/ GPIO14 = TXD1$/);
    expect(step('raspi-gpio').out).toMatch(/^GPIO 14: level=[01] fsel=2 alt=5 func=TXD1\nGPIO 15: level=[01] fsel=2 alt=5 func=RXD1\n$/);
  });

  test('GPIO4 set to output, high then low, reads back level 1 then 0', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    expect(step('set-op-dh').rc).toBe(0);
    const high = json('get4-high').pins[0];
    expect(high).toMatchObject({ pin: 4, function: 'output', fsel: 1, level: 1, drive: 1 });
    expect(step('set-dl').rc).toBe(0);
    const low = json('get4-low').pins[0];
    expect(low).toMatchObject({ pin: 4, function: 'output', level: 0, drive: 0 });
  });

  test('the character device lists the BCM2835 chip with 54 named lines', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const chips = json('chardev-info');
    const bcm = chips.find((c: { label: string }) => /bcm2835/.test(c.label));
    expect(bcm, JSON.stringify(chips.map((c: { label: string }) => c.label))).toBeDefined();
    expect(bcm.lines).toBe(54);
    expect(bcm.lineInfo).toHaveLength(54);
    expect(bcm.lineInfo.map((l: { offset: number }) => l.offset)).toEqual(Array.from({ length: 54 }, (_, i) => i));
    // The upstream Pi 3 device tree names the lines (gpio-line-names): the header pins by GPIO number.
    const names = bcm.lineInfo.map((l: { name: string }) => l.name);
    expect(names.filter((n: string) => n !== '').length, names.join(',')).toBeGreaterThan(40);
    expect(names[17]).toBe('GPIO17');
    expect(names[22]).toBe('GPIO22');
  });

  test('GPIO22 set as output through the character device reads back the same level and function through the registers', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    for (const [name, level] of [
      ['chardev-out-high', 1],
      ['chardev-out-low', 0],
    ] as const) {
      const s = step(name);
      expect(s.rc, s.out).toBe(0);
      const cd = JSON.parse(/^@@CHARDEV (.*)$/m.exec(s.out)![1]);
      expect(cd.info).toMatchObject({ offset: 22, used: true, consumer: 'pi-chardev', direction: 'output' });
      expect(cd.values).toEqual([level]);
      const regs = JSON.parse(s.out.slice(s.out.indexOf('\n', s.out.indexOf('@@CHARDEV')) + 1));
      expect(regs.pins[0]).toMatchObject({ pin: 22, function: 'output', fsel: 1, level, drive: level });
    }
  });

  test('without root: EACCES on /dev/mem, with the advice and every device tried', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const s = step('nonroot');
    expect(s.rc).toBe(1);
    expect(s.out).toMatch(/^mmapkit gpio: EACCES: permission denied, open '\/dev\/mem'\n/);
    expect(s.out).toContain('Mapping /dev/mem needs root (CAP_SYS_RAWIO)');
    expect(s.out).toMatch(/\(tried \/dev\/gpiomem: not present; \/dev\/mem: EACCES[^)]*\) \[EACCES\]\n$/);
  });

  test('without iomem=relaxed: strict /dev/mem refuses the claimed GPIO range (EPERM) and the error says how to fix it', (ctx) => {
    if (strictRig.skipped) ctx.skip(strictRig.skipped);
    expect(strictRig.status, strictRig.stderr.slice(-2000)).toBe(0);
    expect(step('cmdline', strictRig).out).not.toContain('iomem=relaxed');
    const s = step('strict', strictRig);
    expect(s.rc).toBe(1);
    expect(s.out).toMatch(/^mmapkit gpio: EPERM: operation not permitted, mmap '\/dev\/mem'\n/);
    expect(s.out).toContain("boot with 'iomem=relaxed'");
    expect(s.out).toMatch(/\[EPERM\]\n$/);
  });
});
