// The GPIO character-device API on its simulated backend (the same interface as the real one,
// which test/hw.virt.test.ts checks against a real kernel), the binding's refusals on this host
// (which has no GPIO chip), and `mmapkit gpiochip --sim`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { MmapkitError, openGpioChip, openSimGpioChip, simRaspberryPi, type GpioChipLike, type GpioEdgeEvent } from '../lib';
import { binding } from '../lib/native';
import { expectCode, ROOT } from './support/helpers';

const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gpiochip(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'gpiochip', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('simulated chip: info', () => {
  test.each([
    ['pi3', 'pinctrl-bcm2835', 54],
    ['pi4', 'pinctrl-bcm2711', 58],
    ['pi5', 'pinctrl-rp1', 54],
  ] as const)('%s: %s with %i lines, named GPIO0-GPIO27', (model, label, lines) => {
    const chip: GpioChipLike = openSimGpioChip(model);
    expect(chip.info()).toEqual({ path: chip.path, name: 'gpiochip0', label, lines });
    expect(chip.findLine('GPIO17')).toBe(17);
    expect(chip.findLine('nope')).toBe(-1);
    expect(chip.lineInfo('GPIO27').name).toBe('GPIO27');
    expect(chip.lineInfo(40).name).toBe('');
    expect(chip.linesInfo()).toHaveLength(lines);
    // The booted board's UART TX (GPIO14) is an alternate function; the line is free.
    expect(chip.lineInfo(14)).toMatchObject({ used: false, consumer: '' });
    expectCode(() => chip.lineInfo(lines), RangeError, 'ERR_OUT_OF_RANGE');
    chip.close();
    expectCode(() => chip.info(), MmapkitError, 'ERR_MMAPKIT_CLOSED');
  });
});

describe('simulated chip: requests', () => {
  test('outputs drive the simulated pins; values as bits and per line; active-low; reconfigure', () => {
    const chip = openSimGpioChip('pi4');
    const g = chip.board.gpio;
    using req = chip.requestLines(['GPIO18', 23], { consumer: 'leds', lines: { GPIO18: { value: 1 }, 23: { value: 0 } } });
    expect(chip.lineInfo(18)).toMatchObject({ used: true, consumer: 'leds', direction: 'output' });
    expect([g.output(18), g.output(23)]).toEqual([1, 0]);
    expect(req.getValues()).toEqual([1, 0]);
    expect(req.getBits()).toBe(1n);
    req.setBits(2n);
    expect([g.level(18), g.level(23)]).toEqual([0, 1]);
    req.setValues({ GPIO18: 1 });
    expect(req.getValues()).toEqual([1, 1]);
    req.setValue(23, false);
    expect(g.level(23)).toBe(0);
    req.reconfigure({ direction: 'output', activeLow: true, lines: { 18: { value: 1 } } });
    expect(g.level(18)).toBe(0); // active (1) on an active-low line is a low pin
    expect(req.getValue('GPIO18')).toBe(1);
    expect(chip.lineInfo(18).activeLow).toBe(true);
    req.reconfigure({ direction: 'input', bias: 'pull-up' });
    expect(chip.lineInfo(23)).toMatchObject({ direction: 'input', bias: 'pull-up' });
    expect(g.pull(23)).toBe('up');
    expectCode(() => req.setValue(23, 1), Error, 'EPERM');
    expectCode(() => req.getValue(5), RangeError, 'ERR_OUT_OF_RANGE', 'line 5 is not part of this request (requested: 18, 23)');
    expectCode(() => req.setBits(4n), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => req.setValue(18, 2 as 1), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  test('open drain: 1 releases the line (input), 0 drives it low', () => {
    const chip = openSimGpioChip('pi3');
    const g = chip.board.gpio;
    g.attachPull(4, 'up');
    using req = chip.requestLines(4, { direction: 'output', drive: 'open-drain', value: 0 });
    expect(g.level(4)).toBe(0);
    req.setValue(4, 1);
    expect(g.output(4)).toBeNull();
    expect(g.level(4)).toBe(1);
  });

  test('EBUSY names the consumer holding the line; closed requests refuse with ERR_MMAPKIT_CLOSED', () => {
    const chip = openSimGpioChip('pi4');
    const other = openSimGpioChip(chip.board); // a second handle on the same chip
    const req = chip.requestLines(17, { consumer: 'button' });
    expectCode(() => other.requestLines([16, 17]), Error, 'EBUSY', /line 17 \(GPIO17\) is held by 'button'/);
    req.close();
    req.close(); // twice is fine
    expectCode(() => req.getValues(), MmapkitError, 'ERR_MMAPKIT_CLOSED');
    expectCode(() => req.setValue(17, 1), MmapkitError, 'ERR_MMAPKIT_CLOSED');
    expectCode(() => req.reconfigure({}), MmapkitError, 'ERR_MMAPKIT_CLOSED');
    expectCode(() => req.events(), MmapkitError, 'ERR_MMAPKIT_CLOSED');
    expect(other.requestLines(17).getValues()).toHaveLength(1);
  });

  test('bad settings are refused with what was passed', () => {
    const chip = openSimGpioChip('pi4');
    expectCode(() => chip.requestLines(17, { edge: 'up' as 'both' }), TypeError, 'ERR_INVALID_ARG_VALUE', /"options.edge" argument must be one of/);
    expectCode(() => chip.requestLines(17, { direction: 'output', edge: 'both' }), TypeError, 'ERR_INVALID_ARG_VALUE', /edge detection needs an input/);
    expectCode(() => chip.requestLines(17, { drive: 'open-drain' }), TypeError, 'ERR_INVALID_ARG_VALUE', /needs direction 'output'/);
    expectCode(() => chip.requestLines(17, { bias: 'pull-up' }), TypeError, 'ERR_INVALID_ARG_VALUE', /needs a direction/);
    expectCode(() => chip.requestLines(17, { consumer: 'x'.repeat(32) }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => chip.requestLines(17, { nope: 1 } as object), TypeError, 'ERR_INVALID_ARG_VALUE', /Unknown option "nope"/);
    expectCode(() => chip.requestLines([17, 'GPIO17']), TypeError, 'ERR_INVALID_ARG_VALUE', /listed twice/);
    expectCode(() => chip.requestLines([]), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => chip.requestLines('GPIO99'), TypeError, 'ERR_INVALID_ARG_VALUE', /no line named 'GPIO99'/);
    expectCode(() => chip.requestLines(17, { eventClock: 'hte', edge: 'both' }), MmapkitError, 'ERR_MMAPKIT_UNSUPPORTED');
    expect(chip.lineInfo(17).used).toBe(false); // nothing was requested by the refusals
  });
});

describe('simulated chip: edge events', () => {
  test('the async iterator gets rising and falling events with offsets, timestamps and sequence numbers', async () => {
    let t = 0n;
    const chip = openSimGpioChip('pi4', { clock: () => t });
    const g = chip.board.gpio;
    const req = chip.requestLines(['GPIO17', 'GPIO27'], { edge: 'both', bias: 'pull-down' });
    const got: GpioEdgeEvent[] = [];
    const loop = (async () => {
      for await (const ev of req.events()) {
        got.push(ev);
        if (got.length === 3) break;
      }
    })();
    await tick();
    t = 1500n;
    g.drive(17, 1);
    t = 2000n;
    g.drive(27, 1);
    t = 2500n;
    g.drive(17, 0);
    await loop;
    expect(got.map((e) => [e.offset, e.edge, e.seqno, e.lineSeqno, e.missed])).toEqual([
      [17, 'rising', 1, 1, 0],
      [27, 'rising', 2, 1, 0],
      [17, 'falling', 3, 2, 0],
    ]);
    expect(got.map((e) => e.timestampNs)).toEqual([1500n, 2000n, 2500n]);
    req.close();
  });

  test("'event' listeners; rising-only; active-low flips the sense; close() ends a waiting iterator", async () => {
    const chip = openSimGpioChip('pi3');
    const g = chip.board.gpio;
    const req = chip.requestLines(4, { edge: 'rising', activeLow: true, bias: 'pull-up' });
    const seen: string[] = [];
    req.on('event', (ev) => seen.push(ev.edge));
    await tick();
    g.drive(4, 0); // pressed: the pin goes low, the logical value goes 0 -> 1: rising
    g.drive(4, 1);
    await tick();
    expect(seen).toEqual(['rising']);
    const it = req.events();
    const pending = it.next();
    req.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  test('a full queue drops the oldest events and the gap shows in seqno and missed', async () => {
    const chip = openSimGpioChip('pi4');
    const g = chip.board.gpio;
    const req = chip.requestLines(5, { edge: 'both', eventBufferSize: 4 });
    for (let i = 0; i < 10; i++) g.drive(5, i % 2 === 0 ? 0 : 1); // GPIO5 starts high (pull-up)
    const evs = req.readEvents();
    expect(evs.map((e) => e.seqno)).toEqual([7, 8, 9, 10]);
    expect(evs[0].missed).toBe(6);
    expect(req.missedEvents).toBe(6);
    req.close();
  });

  test('debounce: a bouncing press gives one event once the line is stable', async () => {
    const chip = openSimGpioChip('pi4');
    const g = chip.board.gpio;
    const req = chip.requestLines(17, { edge: 'both', bias: 'pull-up', debounceUs: 20_000 });
    expect(chip.lineInfo(17).debounceUs).toBe(20_000);
    for (const level of [0, 1, 0, 1, 0] as const) {
      g.drive(17, level);
      await sleep(1);
    }
    await sleep(60);
    const evs = req.readEvents();
    expect(evs.map((e) => e.edge)).toEqual(['falling']);
    expect(req.getValue(17)).toBe(0);
    req.close();
  });

  test('line-info changes of watched lines', async () => {
    const chip = openSimGpioChip('pi4');
    const watcher = openSimGpioChip(chip.board);
    expect(watcher.watchLineInfo(22)).toMatchObject({ offset: 22, used: false });
    const seen: string[] = [];
    watcher.on('info-changed', (c) => seen.push(`${c.type}:${c.info.offset}:${c.info.consumer}`));
    const req = chip.requestLines(22, { direction: 'output', value: 1, consumer: 'relay' });
    req.reconfigure({ direction: 'input' });
    req.close();
    await sleep(5);
    expect(seen).toEqual(['requested:22:relay', 'config:22:relay', 'released:22:']);
    watcher.unwatchLineInfo(22);
    expectCode(() => watcher.unwatchLineInfo(22), Error, 'EBUSY');
  });

  test('a simulated board passed in keeps its state across chip handles', () => {
    const board = simRaspberryPi('pi5');
    const chip = openSimGpioChip(board);
    using req = chip.requestLines('GPIO20', { value: 1 });
    expect(board.gpio.level(20)).toBe(1);
    expect(req.offsets).toEqual([20]);
  });
});

describe('the native backend on a host without GPIO chips', () => {
  test('a missing chip is ENOENT naming the path; a file that is not a chip is ENOTTY', () => {
    expectCode(
      () => openGpioChip('/dev/gpiochip99'),
      Error,
      'ENOENT',
      /^ENOENT: no such file or directory, open '\/dev\/gpiochip99'\nNo GPIO chip at \/dev\/gpiochip99/,
    );
    expectCode(() => openGpioChip('/dev/null'), Error, 'ENOTTY', /ioctl\(GPIO_GET_CHIPINFO_IOCTL\) '\/dev\/null'\n\/dev\/null is not a GPIO character device/);
    expectCode(() => openGpioChip({} as string), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  test('the binding refuses bad descriptors with errors, never a crash', () => {
    const b = binding();
    expectCode(() => b.gpioGetValues(-1, 1n), Error, 'EBADF');
    expectCode(() => b.gpioSetValues(123456, 1n, 1n), Error, 'EBADF');
    expectCode(() => b.gpioLineInfo(-1, 0), Error, 'EBADF');
    expectCode(() => b.gpioReadEvents(-1, new BigUint64Array(5)), Error, 'EBADF');
    // Called as a careless caller would: the binding checks its argument types itself.
    const loose = b as unknown as Record<string, (...args: unknown[]) => unknown>;
    expectCode(() => loose.gpioGetValues(0, 1), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => loose.gpioRequest(-1, [1], 'x', 0, new BigUint64Array(2)), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => b.gpioSetConfig(-1, new BigUint64Array([0n, 11n])), RangeError, 'ERR_OUT_OF_RANGE');
  });
});

describe('mmapkit gpiochip --sim', () => {
  test('info prints gpioinfo lines', () => {
    const r = gpiochip('info', '--sim', 'pi3');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('gpiochip0 - 54 lines:');
    expect(lines[18]).toBe('\tline  17:\t"GPIO17"        \tinput');
    expect(lines[54]).toBe('\tline  53:\tunnamed         \tinput');
    expect(gpiochip('info', '--sim', 'pi4', 'GPIO4').stdout).toBe('gpiochip0 4\t"GPIO4"         \tinput\n');
  });

  test('get prints "LINE"=active|inactive (pulls at reset: GPIO4 up, GPIO17 down)', () => {
    expect(gpiochip('get', '--sim', 'pi4', 'GPIO4', 'GPIO17').stdout).toBe('"GPIO4"=active "GPIO17"=inactive\n');
    expect(gpiochip('get', '--sim', 'pi4', '--numeric', '--bias', 'pull-up', '17').stdout).toBe('1\n');
    expect(gpiochip('get', '--sim', 'pi4', '--active-low', '--json', 'GPIO4').stdout).toBe(
      '[{"line":"GPIO4","chip":"gpiochip0","offset":4,"name":"GPIO4","value":0}]\n',
    );
  });

  test('set holds for --hold-period, then releases', () => {
    const r = gpiochip('set', '--sim', 'pi5', '--hold-period', '20ms', '--json', 'GPIO18=on', '23=0');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { line: 'GPIO18', chip: 'gpiochip0', offset: 18, value: 1 },
      { line: '23', chip: 'gpiochip0', offset: 23, value: 0 },
    ]);
  });

  test('usage errors exit 2 and name what was typed', () => {
    expect(gpiochip('frob', '--sim', 'pi4')).toMatchObject({ status: 2, stderr: expect.stringContaining("unknown gpiochip verb 'frob'") });
    expect(gpiochip('set', '--sim', 'pi4', 'GPIO18=2')).toMatchObject({ status: 2, stderr: expect.stringContaining("invalid value '2' for line 'GPIO18'") });
    expect(gpiochip('get', '--sim', 'pi4', 'GPIO99')).toMatchObject({ status: 2, stderr: expect.stringContaining("cannot find line 'GPIO99'") });
    expect(gpiochip('get', '--sim', 'pi9', '4')).toMatchObject({ status: 2, stderr: expect.stringContaining('--sim takes pi3, pi4 or pi5') });
    expect(gpiochip('set', '--sim', 'pi4', '--hold-period', '5 min', '4=1')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('--hold-period must be a period'),
    });
    expect(gpiochip('get', '--sim', 'pi4', '4', '4')).toMatchObject({ status: 2, stderr: expect.stringContaining("line '4' is given twice") });
  });

  test('Ctrl-C (SIGINT) ends set and mon with exit status 0 and nothing on stderr', async () => {
    const { spawn } = await import('node:child_process');
    const cases = [
      [['set', '--sim', 'pi4', '--json', 'GPIO18=1'], '[{"line":"GPIO18","chip":"gpiochip0","offset":18,"value":1}]\n'],
      [['mon', '--sim', 'pi4', '--banner', 'GPIO4', 'GPIO5'], "Monitoring lines 'GPIO4' and 'GPIO5'...\n"],
    ] as const;
    for (const [args, ready] of cases) {
      const child = spawn(process.execPath, [CLI, 'gpiochip', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let stdout = '';
      let exited = false;
      child.stderr.on('data', (d) => {
        err += d;
      });
      const exit = new Promise((r) =>
        child.on('exit', (c) => {
          exited = true;
          r(c);
        }),
      );
      // The command prints its line once it waits for the signal.
      await new Promise<void>((r) =>
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.endsWith('\n')) r();
        }),
      );
      expect(stdout).toBe(ready);
      await sleep(200);
      expect(exited, `${args.join(' ')} ended before the signal`).toBe(false);
      child.kill('SIGINT');
      const code = await exit;
      expect(code, args.join(' ')).toBe(0);
      expect(err).toBe('');
    }
  });

  test('mon on a real host without chips fails with exit status 1 and says why', () => {
    const r = gpiochip('mon', 'GPIO17');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no GPIO chips found');
  });
});

describe('permissions', () => {
  test('EACCES names the group and mode of the device and says how to get access', () => {
    if (process.getuid?.() !== 0) return; // needs root to create a file another user cannot open
    const dir = fs.mkdtempSync('/tmp/mmapkit-gpio-perm-');
    fs.chmodSync(dir, 0o755);
    const dev = `${dir}/gpiochip7`;
    fs.writeFileSync(dev, '');
    fs.chmodSync(dev, 0o660);
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `try { require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}).openGpioChip(${JSON.stringify(dev)}) } catch (e) { console.log(e.code + '|' + e.message) }`,
      ],
      { encoding: 'utf8', uid: 65534, gid: 65534, timeout: 30_000 },
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^EACCES\\|EACCES: permission denied, open '${dev}'\\nOpening ${dev} \\(group 'root', mode 660\\) needs read and write permission: add the user to the group that owns it \\(on Raspberry Pi OS: 'sudo usermod -aG gpio \\$USER', then log in again\\) or run as root\\.`,
      ),
    );
  });
});

describe('simulated chip: info-change iterator', () => {
  test('infoChanges() yields the changes of watched lines and ends when the chip is closed', async () => {
    const chip = openSimGpioChip('pi3');
    chip.watchLineInfo(6);
    const it = chip.infoChanges();
    const req = chip.requestLines(6, { direction: 'input', consumer: 'it' });
    expect((await it.next()).value).toMatchObject({ type: 'requested', info: { offset: 6, consumer: 'it', used: true } });
    req.close();
    expect((await it.next()).value).toMatchObject({ type: 'released', info: { offset: 6, used: false } });
    const pending = it.next();
    chip.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
