// Real kernel: an arm64 QEMU guest on the generic board (-M virt, TCG) whose PL061 GPIO
// controller is a real gpiolib chip behind /dev/gpiochip0. scripts/qemu/virt/run.sh boots it and
// runs scripts/qemu/virt/guest.js there (mmapkit's character-device API and `mmapkit gpiochip`);
// its host side presses QEMU's power button (`system_powerdown` on the monitor socket), which QEMU
// wires to PL061 line 3: a rising edge, then a falling one about 100 ms later. Each step becomes
// assertions here. Skipped, with the reason, only where qemu-system-aarch64 is missing.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runRig, type Rig } from './support/rig';

const ROOT = path.resolve(__dirname, '..');

let rig: Rig;

function step(name: string): { rc: number; out: string } {
  const s = rig.steps.get(name);
  if (!s) throw new Error(`the guest printed no '${name}' step; console tail:\n${rig.console.slice(-3000)}\n${rig.stderr.slice(-2000)}`);
  expect(s.rc, s.out).toBe(0);
  return s;
}

function line(out: string, prefix: string): string {
  const l = out.split('\n').find((x) => x.startsWith(prefix));
  if (l === undefined) throw new Error(`no line starting with '${prefix}' in:\n${out}`);
  return l.slice(prefix.length).trim();
}

const ms = (a: string | bigint, b: string | bigint) => Number(BigInt(a) - BigInt(b)) / 1e6;

describe('arm64 virt guest (QEMU -M virt, PL061): the GPIO character device', () => {
  beforeAll(async () => {
    rig = await runRig(ROOT, 'scripts/qemu/virt/run.sh');
    const marks = rig.console.split('\n').filter((l) => /^@@(HOST|GUEST|NODE)/.test(l));
    process.stdout.write(`[hw.virt] ${rig.skipped ? `SKIPPED: ${rig.skipped}` : marks.join(' | ')}\n`);
  }, 900_000);

  test('the rig skips (exit 77, a SKIP: reason) only when qemu-system-aarch64 is missing', () => {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/qemu/virt/run.sh')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, MMAPKIT_VIRT_QEMU: 'qemu-system-aarch64-not-installed' },
    });
    expect(r.status).toBe(77);
    expect(r.stderr).toBe('SKIP: qemu-system-aarch64-not-installed not installed (apt-get install qemu-system-arm)\n');
  });

  test('the guest boots, runs every step and powers off', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    expect(rig.console).toMatch(/^@@GUEST-DONE rc=0 /m);
    expect(rig.status, rig.stderr.slice(-2000)).toBe(0);
    expect(rig.console).toMatch(/^@@NODE v\d+\.\d+\.\d+ napi \d+ arm64/m);
  });

  test('`mmapkit gpiochip info` lists the PL061 chip and its 8 lines', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const chips = JSON.parse(step('chips').out);
    expect(chips).toContainEqual({ path: '/dev/gpiochip0', name: 'gpiochip0', label: '9030000.pl061', lines: 8 });
    const text = step('cli-info').out;
    expect(text).toMatch(/^gpiochip0 - 8 lines:$/m);
    expect(text).toMatch(/^\tline {3}3:\tunnamed {9}\tinput$/m);
    const json = JSON.parse(step('cli-info-json').out);
    expect(json[0].label).toBe('9030000.pl061');
    expect(json[0].lineInfo).toHaveLength(8);
    expect(json[0].lineInfo[3]).toMatchObject({ offset: 3, used: false, direction: 'input', edge: 'none' });
  });

  test('line 3 requested for both edges: a rising then a falling event ~100 ms apart (async iterator)', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const s = step('edges-iterator');
    const { pressNs, events } = JSON.parse(line(s.out, '@@EVENTS'));
    expect(events.map((e: { edge: string }) => e.edge)).toEqual(['rising', 'falling']);
    expect(events.map((e: { offset: number }) => e.offset)).toEqual([3, 3]);
    expect(events.map((e: { seqno: number }) => e.seqno)).toEqual([1, 2]);
    expect(events.map((e: { lineSeqno: number }) => e.lineSeqno)).toEqual([1, 2]);
    expect(events.every((e: { missed: number }) => e.missed === 0)).toBe(true);
    const apart = ms(events[1].timestampNs, events[0].timestampNs);
    expect(apart).toBeGreaterThan(50);
    expect(apart).toBeLessThan(1000);
    // Monotonic timestamps on the guest's own clock: after the press was asked for, before the callback.
    expect(BigInt(events[0].timestampNs)).toBeGreaterThan(BigInt(pressNs));
    for (const e of events) expect(BigInt(e.callbackNs)).toBeGreaterThanOrEqual(BigInt(e.timestampNs));
    // A second request of a held line: EBUSY naming the holder.
    expect(line(s.out, 'busy')).toMatch(
      /^EBUSY: EBUSY: device or resource busy, ioctl\(GPIO_V2_GET_LINE_IOCTL\) '\/dev\/gpiochip0' \| line 3 is held by 'virt-edges'/,
    );
    expect(line(s.out, 'after-close')).toBe('ERR_MMAPKIT_CLOSED');
    expect(line(s.out, 'events-after-close')).toBe('ERR_MMAPKIT_CLOSED');
  });

  test("edge events through the EventEmitter ('event'), and Symbol.dispose releases", (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const s = step('edges-emitter');
    const { events } = JSON.parse(line(s.out, '@@EVENTS'));
    expect(events.map((e: { edge: string }) => e.edge)).toEqual(['rising']); // edge: 'rising' only
    expect(line(s.out, 'disposed')).toBe('true true');
  });

  test('edge latency: five presses, each a rising and a falling event; figures printed', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const rows = JSON.parse(line(step('latency').out, '@@LATENCY'));
    expect(rows).toHaveLength(5);
    const sent = [...rig.console.matchAll(/^@@HOST sent \d+ ms=([\d.]+)/gm)].map((m) => Number(m[1]));
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    const pressToEdge = rows.map((r: { press: string; rising: { ts: string } }) => ms(r.rising.ts, r.press));
    const edgeToCallback = rows.map((r: { rising: { ts: string; cb: string } }) => ms(r.rising.cb, r.rising.ts));
    const apart = rows.map((r: { rising: { ts: string }; falling: { ts: string } }) => ms(r.falling.ts, r.rising.ts));
    for (const r of rows) {
      expect(r.rising, JSON.stringify(r)).toBeDefined();
      expect(r.falling, JSON.stringify(r)).toBeDefined();
      expect(r.falling.seqno).toBe(r.rising.seqno + 1);
    }
    process.stdout.write(
      `[hw.virt latency] guest press line -> kernel edge timestamp (ms): ${fmt(pressToEdge)}\n` +
        `[hw.virt latency] kernel edge timestamp -> JS 'event' callback (ms): ${fmt(edgeToCallback)}\n` +
        `[hw.virt latency] rising -> falling (ms): ${fmt(apart)}\n` +
        `[hw.virt latency] host: @@PRESS line read -> monitor write (ms): ${fmt(sent)}\n`,
    );
  });

  test('outputs set through a request read back through line info and values; info changes are watched', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const out = step('outputs').out;
    expect(JSON.parse(line(out, 'info4'))).toMatchObject({ offset: 4, used: true, consumer: 'virt-outs', direction: 'output', activeLow: false });
    expect(line(out, 'values')).toBe('[1,0] bits 1');
    expect(line(out, 'after-set')).toBe('[0,1]');
    expect(line(out, 'after-setValue')).toBe('[1,1] line5=1');
    expect(JSON.parse(line(out, 'reconfigured'))).toMatchObject({ direction: 'output', activeLow: true, consumer: 'virt-outs' });
    expect(JSON.parse(line(out, 'as-input'))).toMatchObject({ direction: 'input', bias: 'pull-down' });
    expect(JSON.parse(line(out, 'released'))).toMatchObject({ used: false, consumer: '' });
    expect(JSON.parse(line(out, 'info-changes'))).toEqual([
      'requested:4:output:virt-outs',
      'config:4:output:virt-outs',
      'config:4:input:virt-outs',
      'released:4:input:',
    ]);
  });

  test('a request dropped without close() is released by the garbage collector', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const out = step('gc-release').out;
    expect(line(out, 'before-gc')).toBe('used=true consumer=virt-gc');
    expect(line(out, 'after-gc')).toBe('used=false');
  });

  test('`mmapkit gpiochip set/get/mon` on the real chip', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const sg = step('cli-set-get').out.split('\n');
    expect(sg[0]).toBe('"6"=active');
    expect(JSON.parse(sg[1])[0]).toEqual({ line: '6', chip: 'gpiochip0', offset: 6, name: '', value: 1 });
    const mon = step('cli-mon')
      .out.split('\n')
      .filter((l) => /\t/.test(l));
    expect(mon).toHaveLength(2);
    expect(mon[0]).toMatch(/^\d+\.\d{9}\trising\tgpiochip0 3$/);
    expect(mon[1]).toMatch(/^\d+\.\d{9}\tfalling\tgpiochip0 3$/);
    const fmt = step('cli-mon-format')
      .out.split('\n')
      .filter((l) => l.startsWith('3 '));
    expect(fmt).toHaveLength(1);
    expect(fmt[0]).toMatch(/^3 falling 2 \d+\.\d{9} seq=1$/);
  });

  test('`gpiochip set` holds its line until Ctrl-C (SIGINT), then releases it and exits 0', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const out = step('cli-set-sigint').out;
    expect(line(out, 'child')).toBe('[{"line":"5","chip":"gpiochip0","offset":5,"value":1}]');
    expect(line(out, 'held')).toBe('used=true consumer=held direction=output');
    expect(line(out, 'after-sigint')).toBe('exit=0/null used=false');
  });

  test('as an unprivileged user: EACCES naming the device, its group and mode, and what to do', (ctx) => {
    if (rig.skipped) ctx.skip(rig.skipped);
    const s = rig.steps.get('nonroot');
    expect(s, rig.console.slice(-2000)).toBeDefined();
    expect(s!.out).toMatch(
      /^EACCES: EACCES: permission denied, open '\/dev\/gpiochip0' \| Opening \/dev\/gpiochip0 \(group '0', mode 600\) needs read and write permission: add the user to the group that owns it/m,
    );
    expect(s!.rc).toBe(1);
    expect(s!.out).toContain("mmapkit gpiochip: EACCES: permission denied, open '/dev/gpiochip0'");
  });
});
