/**
 * Real (emulated) hardware: boots an x86-64 Linux guest in QEMU with the `edu` PCI device and runs
 * scripts/qemu/x86/guest.js in it with the host's node and this repository (shared read-only over
 * virtio-9p). Every result the guest prints becomes one assertion here. Where QEMU cannot run
 * (no packages and no way to install them, no network for the kernel, not x86-64) every test is
 * reported as skipped with the reason; MMAPKIT_SKIP_QEMU=1 skips them on purpose.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const RIG = path.join(ROOT, 'scripts', 'qemu', 'x86');
// Per run, so that two test runs at once do not pull the guest's modules out from under each other.
// Inside the repository itself (not under .cache, which may be a symlink to another tree): node
// resolves a module's real path, and the addon is looked up from there.
const DIST = path.join(ROOT, 'build-qemu-x86', `dist-${process.pid}`);

type Result = Record<string, unknown> & { name: string };
const results = new Map<string, Result>();
let skipReason: string | undefined;
let serial = '';
let exitLine: string | undefined;
let wallMs = 0;

/** Compiles the modules the guest needs into DIST (fresh each run). */
function buildGuestDist(): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const entries = [
    'lib/regs/index.ts',
    'lib/drivers/edu.ts',
    'lib/cli/devmem.ts',
    'lib/mapping.ts',
    'lib/drivers/cmos.ts',
    'lib/uio.ts',
    'lib/cli/uio.ts',
  ].filter((f) => fs.existsSync(path.join(ROOT, f)));
  fs.rmSync(DIST, { recursive: true, force: true });
  try {
    execFileSync(
      process.execPath,
      [
        tsc,
        '--outDir',
        DIST,
        '--rootDir',
        'lib',
        '--target',
        'ES2022',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node10',
        '--lib',
        'ES2023,ESNext.Disposable',
        '--types',
        'node',
        '--strict',
        '--esModuleInterop',
        '--skipLibCheck',
        ...entries,
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (err) {
    // Type errors elsewhere do not stop tsc from emitting; only missing output is fatal.
    if (!fs.existsSync(path.join(DIST, 'regs', 'index.js')) || !fs.existsSync(path.join(DIST, 'drivers', 'edu.js'))) throw err;
  }
}

beforeAll(() => {
  if (process.env.MMAPKIT_SKIP_QEMU) {
    skipReason = 'MMAPKIT_SKIP_QEMU is set';
    return;
  }
  buildGuestDist();
  const t0 = Date.now();
  const run = spawnSync('bash', [path.join(RIG, 'run.sh'), path.join(RIG, 'guest.js'), DIST], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  wallMs = Date.now() - t0;
  serial = run.stdout ?? '';
  if (run.status === 77) {
    skipReason =
      serial
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('SKIP:'))
        ?.slice(6) ?? 'QEMU cannot run here';
    return;
  }
  for (const line of serial.split(/\r?\n/)) {
    const m = /MMAPKIT-RESULT (\{.*\})\s*$/.exec(line);
    if (m) {
      const r = JSON.parse(m[1]) as Result;
      results.set(r.name, r);
    }
    if (line.includes('MMAPKIT-EXIT')) exitLine = line.slice(line.indexOf('MMAPKIT-EXIT'));
  }
  const booted = /MMAPKIT-BOOTED uptime=([\d.]+)/.exec(serial)?.[1];
  const done = results.get('done')?.uptime;
  console.log(
    `edu guest: ${wallMs} ms wall for prepare + boot + run + power-off; guest uptime at /init ${booted} s, ` +
      `at node start ${results.get('guest')?.uptime} s, at the end ${done} s`,
  );
  if (results.size === 0) {
    console.log(`edu guest produced no results (exit ${run.status}, signal ${run.signal}).\nstderr:\n${run.stderr}\nserial (tail):\n${serial.slice(-4000)}`);
  }
}, 900_000);

afterAll(() => fs.rmSync(DIST, { recursive: true, force: true }));

/** The guest's result `name`, or skip with the reason when QEMU cannot run. */
function result(ctx: TestContext, name: string): Result {
  if (skipReason !== undefined) ctx.skip(`QEMU x86-64 guest not run: ${skipReason}`);
  const r = results.get(name);
  expect(r, `the guest reported no '${name}' result; serial tail:\n${serial.slice(-3000)}`).toBeDefined();
  expect(r!.error, `guest error in '${name}': ${String(r!.error)} [${String(r!.code)}]`).toBeUndefined();
  return r!;
}

const EDU_ID = 0x010000ed;

describe('QEMU x86-64 guest with the edu device', () => {
  it('boots, runs the guest script as root and powers off cleanly', (ctx) => {
    const g = result(ctx, 'guest');
    expect(g.uid).toBe(0);
    expect(exitLine).toMatch(/^MMAPKIT-EXIT rc=0 /);
    expect(results.has('done')).toBe(true);
  });

  it('finds edu by vendor 0x1234 / device 0x11e8 in sysfs, BAR0 = 1 MiB of MMIO', (ctx) => {
    const r = result(ctx, 'find');
    expect(r.count).toBe(1);
    expect(r.kind).toBe('mem');
    expect(r.bar0Size).toBe('0x100000');
    expect(String(r.bar0Start)).toMatch(/^0x[0-9a-f]+000$/);
  });

  it('maps BAR0 through resource0 and reads the ID 0x010000ed', (ctx) => {
    expect(result(ctx, 'resource0.window').size).toBe(0x100000);
    expect(result(ctx, 'resource0.id').value).toBe(EDU_ID);
  });

  it('maps BAR0 through /dev/mem at the BAR address and reads the ID 0x010000ed', (ctx) => {
    const r = result(ctx, 'devmem.id');
    expect(r.address).toBe(result(ctx, 'find').bar0Start);
    expect(r.value).toBe(EDU_ID);
  });

  it('identifies the device as edu 1.0 through the driver', (ctx) => {
    expect(result(ctx, 'identify')).toMatchObject({ id: EDU_ID, major: 1, minor: 0 });
  });

  it('liveness reads back the inverse (resource0, /dev/mem, and across the two windows)', (ctx) => {
    for (const name of ['liveness', 'liveness.devmem', 'liveness.cross']) {
      const r = result(ctx, name);
      expect(r.value, name).toBe(~(r.written as number) >>> 0);
    }
  });

  it('computes factorial(10) = 3628800 by writing 0x08 and polling the busy bit at 0x20', (ctx) => {
    const r = result(ctx, 'factorial');
    expect(r.value).toBe(3628800);
    expect(r.reads as number).toBeGreaterThanOrEqual(1);
    expect(result(ctx, 'factorial.devmem').value).toBe(479001600);
  });

  it('an access the device refuses reads as all ones', (ctx) => {
    expect(result(ctx, 'refused.read64').value).toBe('0xffffffffffffffff');
    expect(result(ctx, 'refused.unimplemented').value).toBe(0xffffffff);
    expect(typeof result(ctx, 'refused.read8').value).toBe('number'); // QEMU drops it as invalid (reads 0)
  });

  it('raises, reports and acknowledges interrupts', (ctx) => {
    expect(result(ctx, 'interrupt')).toMatchObject({ before: 0, raised: 0x100, after: 0 });
    expect(result(ctx, 'interrupt.factorial')).toMatchObject({ value: 120, raised: 1, after: 0 });
  });

  it('reads consecutive registers in one native call', (ctx) => {
    expect(result(ctx, 'bulk').values).toEqual([EDU_ID, 0xffffffff]);
  });

  it('refuses windows past the end of the BAR with ERR_OUT_OF_RANGE', (ctx) => {
    expect(result(ctx, 'past-end')).toMatchObject({ threw: true, code: 'ERR_OUT_OF_RANGE' });
    expect(result(ctx, 'past-end.file')).toMatchObject({ threw: true, code: 'ERR_OUT_OF_RANGE' });
  });

  it('refuses a width the window is declared not to take', (ctx) => {
    expect(result(ctx, 'widths')).toMatchObject({ id: EDU_ID, byte: { threw: true, code: 'ERR_MMAPKIT_WIDTH' } });
  });

  it('runs the descriptor-then-doorbell sequence with native barriers', (ctx) => {
    expect(result(ctx, 'barriers')).toMatchObject({ arch: 'x86-64', doorbell: 0xfffffffe });
  });

  it('mmapkit devmem reads the ID through /dev/mem and through the resource file', (ctx) => {
    const r = result(ctx, 'cli.devmem');
    expect(r.missing, 'lib/cli/devmem.ts was not compiled for the guest').toBeUndefined();
    expect(r.output).toBe('0x010000ED');
    expect(r.device).toBe('0x010000ED');
    expect(r.write).toBe('');
    expect(r.readBack).toBe('0xEDCBA987');
    expect(r.port).toMatch(/^0x[0-9A-F]{2}$/);
  });

  it('without privileges: /dev/mem, the resource file and the port methods fail with advice', (ctx) => {
    const r = result(ctx, 'unprivileged') as Record<string, { threw: boolean; code?: string; message?: string }>;
    expect(r.devmem).toMatchObject({ threw: true, code: 'EACCES' });
    expect(r.devmem.message).toContain('iomem=relaxed');
    expect(r.devmem.message).toContain('needs root');
    expect(r.resource).toMatchObject({ threw: true, code: 'EACCES' });
    expect(r.devport).toMatchObject({ threw: true, code: 'EACCES' });
    expect(r.devport.message).toContain('Port I/O needs root');
    expect(r.ioperm).toMatchObject({ threw: true, code: 'EPERM' });
    expect(r.ioperm.message).toContain('CAP_SYS_RAWIO');
  });

  it('DMA round trip: data in ordinary memory, store barrier, doorbell; the device copies it in and back out', (ctx) => {
    const r = result(ctx, 'dma');
    const expected = Array.from({ length: 16 }, (_, i) => (0xc0de0000 | (i * 4)) >>> 0);
    expect(r.words).toEqual(expected);
    expect(r.src).not.toBe(r.dst);
  });

  it('throws ERR_MMAPKIT_CLOSED after close', (ctx) => {
    expect(result(ctx, 'closed')).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_CLOSED' });
  });

  it('explains a /dev/mem mapping refused by CONFIG_STRICT_DEVMEM (root, iomem=relaxed, narrower files)', (ctx) => {
    const r = result(ctx, 'devmem.strict');
    expect(r).toMatchObject({ threw: true, code: 'EPERM' });
    expect(r.message).toMatch(/^EPERM: operation not permitted, mmap '\/dev\/mem'\n/);
    for (const s of ['root', 'CONFIG_STRICT_DEVMEM', 'iomem=relaxed', '/dev/gpiomem', '/sys/bus/pci/devices/<bdf>/resourceN']) {
      expect(r.message).toContain(s);
    }
  });

  it('explains a physical address that cannot be mapped', (ctx) => {
    const r = result(ctx, 'devmem.unmappable');
    expect(r).toMatchObject({ threw: true, code: 'EINVAL' });
    expect(r.message).toContain('[0x1000000000000000, 0x1000000000001000) cannot be mapped through /dev/mem');
  });

  it('reads the CMOS seconds through /dev/port twice 1.1 s apart and sees them change', (ctx) => {
    const r = result(ctx, 'cmos.devport');
    expect(r.second).not.toBe(r.first);
    for (const v of [r.first, r.second] as number[]) expect(v >> 4, 'BCD seconds').toBeLessThan(6);
    expect(r.decoded as number).toBeGreaterThanOrEqual(0);
    expect(r.decoded as number).toBeLessThan(60);
  });

  it('reads the CMOS seconds with ioperm and in/out instructions and sees them change', (ctx) => {
    const r = result(ctx, 'cmos.ioperm');
    expect(r.second).not.toBe(r.first);
  });
});

// The end of the guest run: edu bound to uio_pci_generic, its interrupt through mmapkit's UIO API
// (scripts/qemu/x86/guest-uio.js).
describe('QEMU x86-64 guest: the edu interrupt through UIO (uio_pci_generic)', () => {
  it('loads uio.ko and uio_pci_generic.ko and binds edu to uio_pci_generic', (ctx) => {
    expect(result(ctx, 'uio.modules').modules).toEqual(expect.arrayContaining(['uio', 'uio_pci_generic']));
    expect(result(ctx, 'uio.bind').driver).toBe('uio_pci_generic');
  });

  it('lists the UIO device with its name, PCI function and BAR0 map', (ctx) => {
    const devices = result(ctx, 'uio.list').devices as Array<Record<string, unknown>>;
    const bdf = result(ctx, 'find').bdf;
    const dev = devices.find((d) => d.pci === bdf);
    expect(dev).toMatchObject({ name: 'uio_pci_generic', path: `/dev/${String(dev?.id)}` });
    expect(dev!.maps).toEqual([expect.objectContaining({ index: 0, addr: result(ctx, 'find').bar0Start, size: 0x100000 })]);
  });

  it('maps UIO map 0 (BAR0 through /dev/uioN) and reads the ID', (ctx) => {
    expect(result(ctx, 'uio.map')).toMatchObject({ size: 0x100000, id: EDU_ID, offset: '0x0' });
  });

  it('computes 10! = 3628800 by interrupt: one STATUS read before the start, no polling after it', (ctx) => {
    const r = result(ctx, 'uio.factorial');
    expect(r).toMatchObject({ n: 10, value: 3628800, irqStatus: 1, irqStatusAfter: 0 });
    expect(r.count).toBe((r.sysEventBefore as number) + 1);
    expect(r.sysEventAfter).toBe(r.count);
    // busy check (STATUS), stale IRQ_STATUS, IRQ_STATUS after the interrupt, FACTORIAL: 4 reads.
    expect(r.statusReads).toBe(1);
    expect(r.totalReads).toBe(4);
  });

  it('counts 100 interrupts raised in a row through IRQ_RAISE (0x60), with no gaps', (ctx) => {
    const r = result(ctx, 'uio.burst');
    expect(r).toMatchObject({ n: 100, gaps: 0 });
    expect((r.last as number) - (r.first as number)).toBe(99);
    expect(r.sysEvent).toBe(r.last);
    const l = r.latencyUs as Record<string, number>;
    console.log(
      `edu interrupts under TCG: ${r.n} in ${(r.totalMs as number).toFixed(1)} ms (${(r.perSecond as number).toFixed(0)}/s); ` +
        `raise-to-resolve latency min ${l.min.toFixed(0)} µs, median ${l.median.toFixed(0)} µs, p99 ${l.p99.toFixed(0)} µs`,
    );
  });

  it('shows interrupts nobody waited for as a gap in the count', (ctx) => {
    const r = result(ctx, 'uio.gap');
    expect((r.after as number) - (r.before as number)).toBe(2);
  });

  it('yields one count per interrupt from the async iterator (re-enabling before each wait)', (ctx) => {
    const seen = result(ctx, 'uio.iterator').seen as number[];
    expect(seen).toHaveLength(3);
    expect([seen[1] - seen[0], seen[2] - seen[1]]).toEqual([1, 1]);
  });

  it('times out with ERR_MMAPKIT_TIMEOUT and aborts with the signal', (ctx) => {
    expect(result(ctx, 'uio.timeout')).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_TIMEOUT', message: 'No interrupt from /dev/uio0 within 200 ms' });
    expect(result(ctx, 'uio.timeout').waitedMs as number).toBeGreaterThanOrEqual(200);
    expect(result(ctx, 'uio.abort')).toMatchObject({ threw: true, errName: 'AbortError' });
  });

  it('reports a missing device, a file that is not UIO, a missing map and a permission problem', (ctx) => {
    const r = result(ctx, 'uio.errors') as Record<string, Record<string, unknown>>;
    expect(r.missing).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_DEVICE' });
    expect(r.missing.message).toMatch(/^No such UIO device: uio7 .*UIO devices here: uio0 \(uio_pci_generic 0000:/);
    expect(r.notUio).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_NOT_UIO' });
    expect(r.notUio.message).toMatch(/^'\/dev\/null' is not a UIO device/);
    expect(r.noMap).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_DEVICE' });
    expect(r.noMap.message).toContain('has no map 1');
    expect(r.unprivileged).toMatchObject({ threw: true, code: 'EACCES' });
    expect(r.unprivileged.message).toMatch(/^EACCES: permission denied, open '\/dev\/uio0'\n.*udev rule/);
  });

  it('mmapkit uio edu finds edu by its PCI ID and answers right (12!, 50 interrupts counted)', (ctx) => {
    const r = result(ctx, 'uio.cli');
    expect(r.status, String(r.stderr)).toBe(0);
    expect(r.run).toMatchObject({ n: 12, factorial: 479001600, expected: 479001600, raised: 50, counted: 50, gaps: 0, ok: true });
    expect((r.run as Record<string, string>).backend).toMatch(/^uio0 \(uio_pci_generic 0000:/);
  });

  it('close() rejects a pending wait with ERR_MMAPKIT_CLOSED and is idempotent', (ctx) => {
    const r = result(ctx, 'uio.close') as Record<string, Record<string, unknown>>;
    expect(r.pending).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_CLOSED' });
    expect(r.after).toMatchObject({ threw: true, code: 'ERR_MMAPKIT_CLOSED' });
  });
});
