// `mmapkit gpio` as users run it: the compiled CLI in child processes, on simulated boards, on a
// device-tree folder, and on a real register window (a file standing in for /dev/gpiomem).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, tempDir } from './support/helpers';

const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const TMP = tempDir('mmapkit-gpio-cli-');

function mmapkit(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'gpio', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pi3DeviceTree(): string {
  const dt = path.join(TMP, 'pi3', 'device-tree');
  fs.mkdirSync(path.join(dt, 'soc'), { recursive: true });
  fs.writeFileSync(path.join(dt, 'compatible'), 'raspberrypi,3-model-b\0brcm,bcm2837\0');
  fs.writeFileSync(path.join(dt, 'model'), 'Raspberry Pi 3 Model B Rev 1.2\0');
  const r = Buffer.alloc(12);
  r.writeUInt32BE(0x7e000000, 0);
  r.writeUInt32BE(0x3f000000, 4);
  r.writeUInt32BE(0x01000000, 8);
  fs.writeFileSync(path.join(dt, 'soc', 'ranges'), r);
  return dt;
}

describe('mmapkit gpio', () => {
  test('get on a simulated Pi 3: 54 lines in pinctrl format', () => {
    const r = mmapkit('get', '--sim', 'pi3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(54);
    expect(lines[2]).toBe(' 2: a0    -- | hi // GPIO2 = SDA1');
    expect(lines[14]).toBe('14: a5    -- | lo // GPIO14 = TXD1');
    expect(lines[4]).toBe(' 4: ip    -- | hi // GPIO4 = input');
    expect(lines[53]).toBe('53: ip    -- | hi // GPIO53 = input');
  });

  test('the command word is optional; pin lists and ranges', () => {
    const r = mmapkit('4,17-18', '--sim', 'pi4');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(' 4: ip    pu | hi // GPIO4 = input\n17: ip    pd | lo // GPIO17 = input\n18: ip    pd | lo // GPIO18 = input\n');
  });

  test('raspi-gpio format with bank headers (Pi 4: 58 pins, pulls reported)', () => {
    const r = mmapkit('get', '--sim', 'pi4', '--format', 'raspi-gpio');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('BANK0 (GPIO 0 to 27):');
    expect(lines).toContain('BANK1 (GPIO 28 to 45):');
    expect(lines).toContain('BANK2 (GPIO 46 to 57):');
    expect(lines).toContain('GPIO 2: level=1 fsel=4 alt=0 func=SDA1 pull=UP');
    expect(lines).toContain('GPIO 17: level=0 fsel=0 func=INPUT pull=DOWN');
    expect(lines).toHaveLength(58 + 3);
    const pi3 = mmapkit('get', '2', '--sim', 'pi3', '--format', 'raspi-gpio');
    expect(pi3.stdout).toBe('GPIO 2: level=1 fsel=4 alt=0 func=SDA1\n');
  });

  test('--json on a simulated Pi 5 (RP1)', () => {
    const r = mmapkit('get', '14,20', '--sim', 'pi5', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ soc: 'BCM2712', chip: 'rp1', source: 'simulated pi5: bus window at 0x1F000D0000' });
    expect(j.pins).toEqual([
      { pin: 14, function: 'alt4', fsel: 4, name: 'TXD0', level: 0, pull: 'down', drive: null },
      { pin: 20, function: 'none', fsel: 31, name: 'none', level: 0, pull: 'down', drive: null },
    ]);
  });

  test('set: function, level, pull in one command (state lasts one command with --sim)', () => {
    for (const sim of ['pi3', 'pi4', 'pi5']) {
      const r = mmapkit('set', '4,5', 'op', 'dh', '--sim', sim, '--json');
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.pins.map((p: { level: number; drive: number; function: string }) => [p.function, p.level, p.drive])).toEqual([
        ['output', 1, 1],
        ['output', 1, 1],
      ]);
    }
    const pulled = JSON.parse(mmapkit('set', '9', 'ip', 'pu', '--sim', 'pi4', '--json').stdout);
    expect(pulled.pins[0]).toMatchObject({ function: 'input', pull: 'up', level: 1 });
    const alt = JSON.parse(mmapkit('set', '18', 'a5', '--sim', 'pi3', '--json').stdout);
    expect(alt.pins[0]).toMatchObject({ function: 'alt5', name: 'PWM0' });
    const rp1 = JSON.parse(mmapkit('set', '18', 'a8', '--sim', 'pi5', '--json').stdout);
    expect(rp1.pins[0]).toMatchObject({ function: 'alt8', name: 'GPCLK1' });
  });

  test("funcs: pinctrl's lines by default, raspi-gpio's table with --format raspi-gpio", () => {
    const pc = mmapkit('funcs', '2,14', '--sim', 'pi3');
    expect(pc.status, pc.stderr).toBe(0);
    expect(pc.stdout).toBe(
      '2, GPIO2, SDA1, SA3, LCD_VSYNC, AVEOUT_VSYNC, AVEIN_VSYNC, -\n' + '14, GPIO14, TXD0, SD6, DPI_D10, AVEOUT_VID10, AVEIN_VID10, TXD1\n',
    );
    expect(mmapkit('funcs', 'GPIO4', '--sim', 'pi4').stdout).toBe('4, GPIO4, GPCLK0, SA1, DPI_D0, SPI4_CE0_N, TXD3, SDA3\n');
    const r = mmapkit('funcs', '2,14', '--sim', 'pi3', '--format', 'raspi-gpio');
    expect(r.stdout).toBe(
      'GPIO, DEFAULT PULL, ALT0, ALT1, ALT2, ALT3, ALT4, ALT5\n' +
        '2, UP, SDA1, SA3, LCD_VSYNC, AVEOUT_VSYNC, AVEIN_VSYNC, -\n' +
        '14, DOWN, TXD0, SD6, DPI_D10, AVEOUT_VID10, AVEIN_VID10, TXD1\n',
    );
    const p5 = mmapkit('funcs', '0', '--sim', 'pi5', '--format', 'raspi-gpio');
    expect(p5.stdout.split('\n')[0]).toBe('GPIO, DEFAULT PULL, ALT0, ALT1, ALT2, ALT3, ALT4, ALT5, ALT6, ALT7, ALT8');
    expect(p5.stdout.split('\n')[1]).toBe('0, UP, SPI0_SIO3, DPI_PCLK, TXD1, SDA0, -, SYS_RIO00, PROC_RIO00, PIO0, SPI2_CS0');
  });

  test('info from a device-tree folder', () => {
    const r = mmapkit('info', '--devicetree', pi3DeviceTree(), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ soc: 'BCM2837', peripheralBaseHex: '0x3F000000', gpioBaseHex: '0x3F200000', simulated: false });
    const text = mmapkit('info', '--devicetree', pi3DeviceTree());
    expect(text.stdout).toContain('peripheral base: 0x3F000000 (soc/ranges)');
  });

  test('a real register window: --device maps a file laid out like the GPIO block', () => {
    const file = path.join(TMP, 'gpiomem');
    const regs = Buffer.alloc(4096);
    regs.writeUInt32LE((4 << 12) | (4 << 15), 0x04); // GPIO14/15 ALT0
    regs.writeUInt32LE((1 << 14) | (1 << 2), 0x34); // GPLEV0: 2 and 14 high
    fs.writeFileSync(file, regs);
    const dt = pi3DeviceTree();
    const r = mmapkit('get', '2,14,15', '--devicetree', dt, '--device', file);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(' 2: ip    -- | hi // GPIO2 = input\n14: a0    -- | hi // GPIO14 = TXD0\n15: a0    -- | lo // GPIO15 = RXD0\n');
    const before = fs.readFileSync(file);
    expect(before.equals(regs)).toBe(true); // get wrote nothing
    // set writes exactly the registers the datasheet names: GPFSEL0 (read-modify-write) and GPSET0.
    const s = mmapkit('set', '4', 'op', 'dh', '--devicetree', dt, '--device', file);
    expect(s.status, s.stderr).toBe(0);
    const after = fs.readFileSync(file);
    expect(after.readUInt32LE(0x00)).toBe(1 << 12);
    expect(after.readUInt32LE(0x1c)).toBe(1 << 4);
    expect(after.readUInt32LE(0x04)).toBe((4 << 12) | (4 << 15));
    const c = mmapkit('set', '4', 'dl', '--devicetree', dt, '--device', file);
    expect(c.status).toBe(0);
    expect(fs.readFileSync(file).readUInt32LE(0x28)).toBe(1 << 4);
  });

  test('errors: exit 2 for what was typed wrong, 1 for what failed, with the message and its code', () => {
    const bad = mmapkit('get', '60', '--sim', 'pi3');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('mmapkit gpio: GPIO60 does not exist: this chip has GPIO0–GPIO53 [ERR_OUT_OF_RANGE]\n');
    const op = mmapkit('set', '4', 'sideways', '--sim', 'pi3');
    expect(op.stderr).toMatch(/unknown GPIO function 'sideways'.*\[ERR_INVALID_ARG_VALUE\]/);
    expect(op.status).toBe(2);
    const none = mmapkit('set', '4', 'no', '--sim', 'pi3');
    expect(none.stderr).toMatch(/no 'none' function \(RP1 only\) \[ERR_INVALID_ARG_VALUE\]/);
    expect(none.status).toBe(2);
    const sim = mmapkit('get', '--sim', 'pi9');
    expect(sim.stderr).toMatch(/unknown simulated board 'pi9'.*\[ERR_INVALID_ARG_VALUE\]/);
    expect(sim.status).toBe(2);
    const fmt = mmapkit('get', '--sim', 'pi3', '--format', 'wiringpi');
    expect(fmt.stderr).toBe("mmapkit gpio: --format must be pinctrl or raspi-gpio. Received 'wiringpi' [ERR_INVALID_ARG_VALUE]\n");
    expect(fmt.status).toBe(2);
    const unknownOption = mmapkit('get', '--sim', 'pi3', '--colour');
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/unknown option '--colour'/);
    const notPi = path.join(TMP, 'pc', 'device-tree');
    fs.mkdirSync(notPi, { recursive: true });
    fs.writeFileSync(path.join(notPi, 'compatible'), 'linux,dummy-virt\0');
    const np = mmapkit('get', '--devicetree', notPi);
    expect(np.status).toBe(1);
    expect(np.stderr).toBe('mmapkit gpio: not a Raspberry Pi: found compatible "linux,dummy-virt", no model [ERR_MMAPKIT_NOT_RASPBERRY_PI]\n');
    const missing = mmapkit('get', '--devicetree', pi3DeviceTree(), '--device', path.join(TMP, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT/);
  });

  test('dh/dl on a pin that is not an output: refused like pinctrl, exit 1, nothing written', () => {
    const r = mmapkit('set', '4', 'dh', '--sim', 'pi3');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mmapkit gpio: GPIO4 is not an output \(it is an input\).*\[ERR_MMAPKIT_GPIO_NOT_OUTPUT\]\n$/);
    // With 'op' in the same command it is an output by then; a0 + dh is refused too.
    expect(mmapkit('set', '4', 'op', 'dh', '--sim', 'pi3').status).toBe(0);
    expect(mmapkit('set', '4', 'a0', 'dl', '--sim', 'pi3').status).toBe(1);
    // On a register file: an input pin keeps its GPSET/GPCLR untouched.
    const file = path.join(TMP, 'gpiomem-input');
    fs.writeFileSync(file, Buffer.alloc(4096));
    const refused = mmapkit('set', '17', 'dh', '--devicetree', pi3DeviceTree(), '--device', file);
    expect(refused.status).toBe(1);
    expect(fs.readFileSync(file).equals(Buffer.alloc(4096))).toBe(true);
  });

  test("pinctrl's implicit forms: 'gpio 4 op dh', GPIO names, ranges", () => {
    const file = path.join(TMP, 'gpiomem-implicit');
    fs.writeFileSync(file, Buffer.alloc(4096));
    const dt = pi3DeviceTree();
    const s = mmapkit('GPIO4', 'op', 'dh', '--devicetree', dt, '--device', file);
    expect(s.status, s.stderr).toBe(0);
    const regs = fs.readFileSync(file);
    expect(regs.readUInt32LE(0x00)).toBe(1 << 12); // GPFSEL0: GPIO4 output
    expect(regs.readUInt32LE(0x1c)).toBe(1 << 4); // GPSET0
    const g = mmapkit('9-11', '--sim', 'pi3');
    expect(g.status, g.stderr).toBe(0);
    expect(
      g.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(0, 2).trim()),
    ).toEqual(['9', '10', '11']);
    expect(mmapkit('GPIO9-GPIO11', '--sim', 'pi3').stdout).toBe(g.stdout);
    const both = mmapkit('4', '5', 'op', '--sim', 'pi3', '--json');
    expect(both.status, both.stderr).toBe(0);
    expect((JSON.parse(both.stdout) as { pins: { pin: number; function: string }[] }).pins.map((p) => [p.pin, p.function])).toEqual([
      [4, 'output'],
      [5, 'output'],
    ]);
  });

  test('--help', () => {
    const r = mmapkit('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: mmapkit gpio \[get\] \[PINS\]/);
    expect(r.stdout).toContain('--sim BOARD');
  });
});
