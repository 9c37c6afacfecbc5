/// <reference lib="dom" />
// The interactive page in a real browser (Debian's chromium, driven by playwright-core): every
// scene is loaded from `mmapkit sim --serve`, stepped with the page's own buttons and keys, and
// what it shows is compared with the simulator's counters for the same sequence, run here in
// Node through the library. Screenshots of every scene go to test-output/web/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  RaspberryPiGpio,
  SimBus,
  SimMapFlags,
  SimMsync,
  SimOpen,
  SimProt,
  SimUart,
  SimVm,
  SIM_UART_BASE,
  simCheck,
  simDoorbellRun,
  simRaspberryPi,
  simWindow,
  uartPutc,
} from '../lib';
import { ROOT } from './support/helpers';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((f) => fs.existsSync(f));
const OUT = path.join(ROOT, 'test-output', 'web');

let server: ChildProcess;
let url = '';
let browser: Browser;
const problems: string[] = [];

async function open(hash: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${url}#${hash}`);
  await page.waitForSelector('[data-k=stepinfo]');
  return page;
}

const k = (page: Page, key: string) => page.locator(`[data-k="${key}"]`).first().innerText();

async function step(page: Page, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await page.click('button[data-action=step]');
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

describe.skipIf(!CHROMIUM)('the interactive page in Chromium', () => {
  beforeAll(async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.js')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build:web failed:\n${build.stderr}`);
    server = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'sim', '--serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGINT');
  });

  it('serves the page on 127.0.0.1 only, and nothing outside its folder', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    const res = await fetch(`${url}..%2f..%2fpackage.json`);
    expect(res.status).toBe(404);
    const page = await fetch(url);
    expect(await page.text()).toContain('<script src="app.js">');
  });

  it("scene 1: the page fault shows the simulator's split, TLB miss, walk, major then minor fault", async () => {
    const vm = new SimVm({ trace: true });
    const content = new Uint8Array(9000);
    for (let i = 0; i < 9000; i++) content[i] = 0x61 + (i % 26);
    vm.createFile('data.bin', content);
    const p = vm.spawn();
    const base = simCheck(p.mmap(0, 9000, SimProt.READ, SimMapFlags.PRIVATE, simCheck(p.open('data.bin', SimOpen.RDONLY), 'open'), 0), 'mmap');
    const byte = p.load8(base + 5000);
    const c = p.counters();
    const page = await open('scene=fault&step=0');
    expect(await k(page, 'stepinfo')).toBe('step 0 of 7');
    await step(page, 1);
    const addr = base + 5000;
    expect(await k(page, 'addr')).toBe('0x' + addr.toString(16));
    expect(Number(await k(page, 'index.PT'))).toBe(Math.floor(addr / 4096) % 512);
    expect(Number(await k(page, 'index.offset'))).toBe(904);
    await step(page, 4);
    expect(await k(page, 'tlb')).toBe('miss');
    expect(Number(await k(page, 'tlbMisses'))).toBe(c.tlbMisses);
    expect(Number(await k(page, 'majorFaults'))).toBe(c.majorFaults);
    expect(Number(await k(page, 'walkRefs'))).toBe(c.walkRefs);
    expect(await k(page, 'byte')).toBe('0x' + byte.toString(16));
    expect(await k(page, 'faultDetail')).toMatch(/^major read: data\.bin page 1 in frame \d+$/);
    await page.keyboard.press('n'); // step 6 by key
    p.load8(base + 5001);
    expect(Number(await k(page, 'tlbHits'))).toBe(p.counters().tlbHits);
    await page.keyboard.press('e'); // to the end
    expect(await k(page, 'stepinfo')).toBe('step 7 of 7');
    const q = vm.spawn();
    const qa = simCheck(q.mmap(0, 9000, SimProt.READ, SimMapFlags.PRIVATE, simCheck(q.open('data.bin', SimOpen.RDONLY), 'open'), 0), 'mmap');
    q.load8(qa + 5000);
    expect(Number(await k(page, 'minorFaults'))).toBe(vm.counters().minorFaults);
    expect(vm.counters().minorFaults).toBe(1);
    expect(await k(page, 'secondFault')).toMatch(/^minor/);
    await shot(page, '1-fault');
    await page.keyboard.press('p'); // back one step: replayed, not undone by hand
    expect(await k(page, 'stepinfo')).toBe('step 6 of 7');
    expect(await page.locator('[data-k=secondFault]').count()).toBe(0);
    await page.close();
  });

  it('scene 2: private vs shared after fork, with the COW copies the simulator counts', async () => {
    const vm = new SimVm();
    const pg = new Uint8Array(4096);
    pg.set([0x41, 0x42, 0x43, 0x0a]);
    vm.createFile('abc.txt', pg);
    const A = vm.spawn();
    const fd = simCheck(A.open('abc.txt', SimOpen.RDWR), 'open');
    const priv = simCheck(A.mmap(0, 4096, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE, fd, 0), 'mmap');
    const shared = simCheck(A.mmap(0, 4096, SimProt.READ | SimProt.WRITE, SimMapFlags.SHARED, fd, 0), 'mmap');
    A.load8(priv);
    A.load8(shared);
    const B = A.fork();
    A.store8(priv + 1, 0x78);
    const page = await open('scene=cow&step=3');
    expect(await k(page, 'a.private')).toBe('AxC\\n');
    expect(await k(page, 'b.private')).toBe('ABC\\n');
    expect(await k(page, 'file')).toBe('ABC\\n');
    expect(Number(await k(page, 'cowCopies'))).toBe(vm.counters().cowCopies);
    expect(await page.locator('[data-event=cow]').count()).toBe(1);
    await step(page, 1);
    A.store8(shared + 2, 0x59);
    expect(await k(page, 'b.shared')).toBe('ABY\\n');
    expect(await k(page, 'disk')).toBe('ABC\\n');
    await step(page, 2);
    A.msync(shared, 4096, SimMsync.SYNC);
    B.store8(priv + 1, 0x7a);
    expect(await k(page, 'disk')).toBe('ABY\\n');
    const text = (pr: typeof A, a: number) =>
      Array.from({ length: 4 }, (_, i) => pr.load8(a + i))
        .map((b) => (b === 10 ? '\\n' : String.fromCharCode(b)))
        .join('');
    expect(await k(page, 'b.private')).toBe(text(B, priv));
    expect(text(B, priv)).toBe('AzY\\n'); // B's private page showed the shared write until B wrote
    expect(await k(page, 'a.private')).toBe('AxC\\n');
    expect(Number(await k(page, 'cowCopies'))).toBe(vm.counters().cowCopies);
    expect(Number(await k(page, 'blockWrites'))).toBe(vm.counters().blockWrites);
    await shot(page, '2-cow');
    await page.close();
  });

  it('scene 3: TLB reach with 4 KiB and 2 MiB pages matches the simulator', async () => {
    for (const pages of ['4k', '2m'] as const) {
      const vm = new SimVm({ tlbEntries: 64, frames: 4096 });
      const p = vm.spawn();
      const region = 4 << 20;
      const base = simCheck(
        p.mmap(0, region, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS | (pages === '2m' ? SimMapFlags.HUGETLB : 0), -1, 0),
        'mmap',
      );
      for (let off = 0; off < region; off += 4096) p.store8(base + off, 1);
      const c0 = p.counters();
      for (let off = 0; off < region; off += 64) p.load8(base + off);
      const c1 = p.counters();
      for (let r = 0; r < 4; r++) for (let off = 0; off < region; off += 4096) p.load8(base + off);
      const c2 = p.counters();
      const page = await open(`scene=tlb&step=0${pages === '2m' ? '&pages=2m' : ''}`);
      await page.click('button[data-action=run]');
      expect(Number(await k(page, 'seq.misses'))).toBe(c1.tlbMisses - c0.tlbMisses);
      expect(Number(await k(page, 'seq.hits'))).toBe(c1.tlbHits - c0.tlbHits);
      expect(Number(await k(page, 'stride.misses'))).toBe(c2.tlbMisses - c1.tlbMisses);
      expect(await k(page, 'reach')).toBe(pages === '4k' ? '256 KiB' : '128 MiB');
      if (pages === '4k') expect(c2.tlbMisses - c1.tlbMisses).toBe(4096);
      else expect(c2.tlbHits - c1.tlbHits).toBeGreaterThan(4000);
      await shot(page, `3-tlb-${pages}`);
      await page.close();
    }
  });

  it('scene 4: the doorbell race shows the stale descriptors the simulator reports, and none with the barrier', async () => {
    const without = simDoorbellRun({ seed: 3, barrier: false });
    expect(without.stale.length).toBeGreaterThan(0);
    const page = await open('scene=doorbell&step=2');
    expect(Number(await k(page, 'stale'))).toBe(without.stale.length);
    expect(await page.locator('[data-stale]').count()).toBe(without.stale.length);
    expect(Number(await k(page, 'reordered'))).toBe(without.reordered);
    await shot(page, '4-doorbell');
    await page.check('input[name=barrier]');
    await page.waitForFunction(() => location.hash.includes('barrier=1'));
    expect(Number(await k(page, 'stale'))).toBe(simDoorbellRun({ seed: 3, barrier: true }).stale.length);
    expect(Number(await k(page, 'stale'))).toBe(0);
    await page.fill('input[name=seed]', '6');
    await page.press('input[name=seed]', 'Tab'); // a number field applies on change (blur or Enter)
    await page.waitForFunction(() => location.hash.includes('seed=6'));
    await page.uncheck('input[name=barrier]');
    await page.waitForFunction(() => location.hash.includes('seed=6') && !location.hash.includes('barrier=1'));
    expect(Number(await k(page, 'stale'))).toBe(simDoorbellRun({ seed: 6, barrier: false }).stale.length);
    await page.close();
  });

  it('scene 5: byte lanes of a 32-bit store of 1 to 0x10000008, and a refused 16-bit store', async () => {
    const bus = new SimBus();
    bus.map(SIM_UART_BASE, new SimUart(bus.scheduler));
    const t = bus.startTrace();
    bus.write32(0x1000_0008, 1);
    const lanes = t.records[0].lanes!.map((b) => b.toString(16).padStart(2, '0'));
    const page = await open('scene=lanes&step=4');
    for (let i = 0; i < 4; i++) expect(await k(page, `lane.${i}`)).toBe(lanes[i]);
    expect(lanes).toEqual(['01', '00', '00', '00']);
    expect(await k(page, 'ctrl')).toBe('0x' + bus.read32(0x1000_0008).toString(16).padStart(8, '0'));
    expect(await k(page, 'memory')).toBe('88 77 66 55 44 33 22 11');
    await shot(page, '5-lanes');
    await page.selectOption('select[name=width]', '2');
    await page.waitForSelector('[data-k=busError]');
    expect(await k(page, 'busError')).toMatch(/2-byte write .* takes 4-byte writes/);
    await page.close();
  });

  it('scene 6: the UART polls STATUS as the simulator does, and a clicked button lights the LED', async () => {
    const bus = new SimBus({ seed: 1 });
    const uart = new SimUart(bus.scheduler);
    bus.map(SIM_UART_BASE, uart);
    const regs = simWindow(bus, SIM_UART_BASE, 0x1000);
    const trace = bus.startTrace();
    for (const c of 'Hi!\n') uartPutc(regs, c);
    bus.stopTrace();
    const statusReads = trace.records.filter((r) => r.kind === 'read' && r.register === 'STATUS').length;
    const page = await open('scene=devices&step=0');
    await page.click('button[data-action=run]');
    expect(Number(await k(page, 'uart.chars'))).toBe(4);
    expect(Number(await k(page, 'uart.statusReads'))).toBe(statusReads);
    expect(await k(page, 'uart.output')).toBe(JSON.stringify(uart.output));
    expect(await k(page, 'gpio.button')).toBe('1');
    expect(await k(page, 'gpio.led')).toBe('0');
    // Press the button with the keyboard: focus GPIO27's pin and press Enter.
    await page.focus('[data-pin="27"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.includes('inputs=27'));
    const { gpio: chip, info } = simRaspberryPi('pi4');
    const gpio = new RaspberryPiGpio(chip, info);
    chip.drive(27, 0);
    gpio.setFunction(27, 'input');
    gpio.setPull(27, 'up');
    gpio.setFunction(17, 'output');
    gpio.write(17, gpio.read(27) ? 0 : 1);
    expect(await k(page, 'gpio.button')).toBe(String(chip.level(27)));
    expect(await k(page, 'gpio.led')).toBe(String(chip.level(17)));
    expect(chip.level(17)).toBe(1);
    expect(await page.getAttribute('[data-pin="17"]', 'data-level')).toBe('1');
    await shot(page, '6-devices');
    await page.close();
  });

  it('a shared URL restores scene, step and options; number keys switch scenes', async () => {
    const page = await open('scene=doorbell&step=2&barrier=1&seed=3');
    expect(await page.isChecked('input[name=barrier]')).toBe(true);
    expect(await k(page, 'stepinfo')).toBe('step 2 of 3');
    await page.keyboard.press('5');
    await page.waitForFunction(() => location.hash.includes('scene=lanes'));
    expect(await page.getAttribute('nav a[data-scene=lanes]', 'aria-current')).toBe('page');
    await page.close();
  });

  it('is readable at 375 px: nothing overflows the page horizontally', async () => {
    for (const scene of ['fault', 'cow', 'tlb', 'doorbell', 'lanes', 'devices']) {
      const page = await open(`scene=${scene}&step=99`, 375);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, scene).toBeLessThanOrEqual(0);
      if (scene === 'fault' || scene === 'devices') await shot(page, `narrow-${scene}`);
      await page.close();
    }
  });

  it('logged no console error or warning and threw no page error', () => {
    expect(problems).toEqual([]);
  });
});
