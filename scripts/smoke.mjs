#!/usr/bin/env node
// The smoke test for a runtime or platform: mmapkit's public API end to end, in one process plus
// the child processes it starts. Runs under Node (any version from 18 on), Bun and Deno, and under
// qemu-arm for the 32-bit ARM binary. An ES module so that all three runtimes load it as it is.
//
//   node scripts/smoke.mjs [package-dir]          the package at package-dir (default: this repo)
//   bun scripts/smoke.mjs
//   deno run --allow-all scripts/smoke.mjs
//
// Environment:
//   MMAPKIT_SMOKE_RUNNER   JSON array: how to start this runtime for the child processes (e.g.
//                          ["qemu-arm", "-L", "/usr/arm-linux-gnueabihf", "/path/to/node"]);
//                          default: this runtime's own executable (plus "run -A" under Deno)
//   MMAPKIT_SMOKE_BIG      "0" skips the file over 4 GiB (needs a file system with sparse files)
//
// Prints one line per check and ends with "smoke: <n> checks passed on <runtime> <platform>"; the
// exit status is 1 when any check failed.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const role = process.argv[2] === '--child' ? process.argv[3] : 'main';
const pkgDir = path.resolve(role === 'main' ? process.argv[2] || path.join(here, '..') : process.argv[4]);
const mk = await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.mjs')).href);

const runtime = globalThis.Deno ? `Deno ${globalThis.Deno.version.deno}` : process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.version}`;

function runner() {
  if (process.env.MMAPKIT_SMOKE_RUNNER) return JSON.parse(process.env.MMAPKIT_SMOKE_RUNNER);
  if (globalThis.Deno) return [globalThis.Deno.execPath(), 'run', '--allow-all'];
  return [process.execPath];
}

/** Runs this script as a child in `childRole`; resolves with { status, stdout, stderr }. */
function child(childRole, args, options = {}) {
  const [cmd, ...pre] = runner();
  return spawnSync(cmd, [...pre, fileURLToPath(import.meta.url), '--child', childRole, pkgDir, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...options,
  });
}

// ---- child roles ----

if (role === 'shm-reader') {
  // Maps the named object, checks the parent's value, writes its own answer, exits.
  const shm = mk.openSharedMemory(process.argv[5]);
  const m = shm.map({ mode: 'readwrite' });
  const seen = m.load64(0);
  m.store64(8, seen + 1n);
  m.unmap();
  shm.close();
  process.stdout.write(seen.toString(16));
  process.exit(0);
}
if (role === 'futex-waiter') {
  // Blocks in futexWait on word 0 of the shared object until the parent wakes it.
  const shm = mk.openSharedMemory(process.argv[5]);
  const m = shm.map({ mode: 'readwrite' });
  const words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
  Atomics.store(words, 1, 1); // "I am about to wait"
  const result = mk.futexWait(words, 0, 0, 60_000);
  process.stdout.write(`${result} ${Atomics.load(words, 0)}`);
  m.unmap();
  shm.close();
  process.exit(0);
}

// ---- the checks ----

const results = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function check(name, fn) {
  const started = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${Date.now() - started} ms]`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function equal(actual, expected, msg) {
  if (actual !== expected) throw new Error(`${msg}: expected ${String(expected)}, got ${String(actual)}`);
}
function throwsCode(fn, codes, msg) {
  try {
    fn();
  } catch (err) {
    if (![].concat(codes).includes(err && err.code))
      throw new Error(`${msg}: expected code ${codes}, got ${err && err.code}: ${err && err.message}`, { cause: err });
    return err;
  }
  throw new Error(`${msg}: did not throw`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-smoke-'));
const shmName = `/mmapkit-smoke-${process.pid}`;

try {
  await check('the addon loads', () => {
    const ps = mk.pageSize();
    assert(ps >= 4096 && (ps & (ps - 1)) === 0, `page size ${ps}`);
    const arch = { x64: 'x86-64', arm64: 'aarch64', arm: 'armv7' }[os.arch()];
    if (arch) equal(mk.barriers.arch, arch, 'the barriers compiled for this CPU');
    mk.storeBarrier();
    mk.fullBarrier();
    return `page size ${ps}, csv methods ${mk.csvMethods().join(' ')}, barriers ${mk.barriers.arch}`;
  });

  await check('mapFile maps a file and reads it', () => {
    const file = path.join(tmp, 'abc.txt');
    fs.writeFileSync(file, 'ABC\n' + '.'.repeat(9996));
    const m = mk.mapFile(file);
    equal(m.length, 10000, 'length');
    equal(m.buffer.toString('latin1', 0, 3), 'ABC', 'first bytes');
    equal(m.read(9999, 1).toString(), '.', 'last byte');
    const w = mk.mapFile(file, { mode: 'readwrite', offset: 5001, length: 10 });
    w.write(0, 'hello');
    w.sync();
    equal(fs.readFileSync(file).subarray(5001, 5006).toString(), 'hello', 'write through an unaligned offset');
    w.unmap();
    m.unmap();
  });

  await check('csvSum and seedCsvSum', () => {
    const file = path.join(tmp, 'tiny.csv');
    fs.writeFileSync(file, '12,34\n5,6\n789,1\n');
    const m = mk.mapFile(file);
    equal(mk.seedCsvSum(m), 847n, 'seedCsvSum');
    equal(mk.csvSum(m.buffer), 847n, 'csvSum (native, best method)');
    for (const method of mk.csvMethods()) equal(mk.csvSum(m.buffer, { method }), 847n, `csvSum method ${method}`);
    equal(mk.csvSum(m.buffer, { method: 'js' }), 847n, 'csvSum method js');
    m.unmap();
    equal(mk.csvSumFile(file), 847n, 'csvSumFile');
    return mk.csvBestMethod();
  });

  await check('shared memory across two processes', () => {
    const shm = mk.openSharedMemory(shmName, { create: true, size: 4096 });
    const m = shm.map({ mode: 'readwrite' });
    m.store64(0, 0x1122334455667788n);
    const r = child('shm-reader', [shmName]);
    equal(r.status, 0, `child exit status (stderr: ${r.stderr})`);
    equal(r.stdout, '1122334455667788', 'what the child read');
    equal(m.load64(8), 0x1122334455667789n, 'what the child wrote');
    m.unmap();
    shm.close();
    mk.unlinkSharedMemory(shmName);
  });

  await check('futexWait / futexWake, in one process and across processes', async () => {
    const m = mk.mapAnonymous(4096, { shared: true });
    const words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 4);
    equal(mk.futexWait(words, 0, 1, 1000), 'not-equal', 'wait on a word that differs');
    const t0 = Date.now();
    equal(mk.futexWait(words, 0, 0, 50), 'timed-out', 'wait with a timeout');
    assert(Date.now() - t0 >= 40, `the timed wait returned after ${Date.now() - t0} ms`);
    equal(mk.futexWake(words, 0), 0, 'wake with no waiter');
    m.unmap();

    const shm = mk.openSharedMemory(shmName, { create: true, size: 4096 });
    const s = shm.map({ mode: 'readwrite' });
    const w = new Int32Array(s.buffer.buffer, s.buffer.byteOffset, 4);
    // The waiter is a separate process; this one keeps running (async) to wake it.
    const [cmd, ...pre] = runner();
    const proc = spawn(cmd, [...pre, fileURLToPath(import.meta.url), '--child', 'futex-waiter', pkgDir, shmName], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const exited = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
    // Up to 60 s for the child to announce its wait (it starts slowly under emulation), then wake
    // it: a wake that reports 1 proves it was blocked in the kernel.
    const deadline = Date.now() + 60_000;
    while (Atomics.load(w, 1) !== 1 && Date.now() < deadline) await sleep(20);
    equal(Atomics.load(w, 1), 1, `the child announced its wait (stderr: ${err})`);
    let woken = 0;
    while (woken === 0 && Date.now() < deadline) {
      await sleep(20);
      Atomics.store(w, 0, 7);
      woken = mk.futexWake(w, 0);
      if (woken === 0) Atomics.store(w, 0, 0);
    }
    equal(woken, 1, 'waiters woken');
    equal(await exited, 0, `child exit status (stderr: ${err})`);
    equal(out, 'ok 7', 'the child woke with "ok" and saw the new value');
    s.unmap();
    shm.close();
    mk.unlinkSharedMemory(shmName);
  });

  await check('unmap leaves old views over zeros and later calls throw', () => {
    const m = mk.mapAnonymous(1 << 16);
    const b = m.buffer;
    b[100] = 42;
    equal(m.load8(100), 42, 'value before unmap');
    equal(m.unmap(), true, 'unmap() result');
    equal(b.length, 1 << 16, 'the old Buffer keeps its length after unmap');
    equal(b[100], 0, 'the old Buffer reads zeros after unmap');
    equal(m.closed, true, 'closed');
    throwsCode(() => m.load8(0), 'ERR_MMAPKIT_CLOSED', 'load8 after unmap');
    throwsCode(() => mk.scanByteSum(b), 'ERR_MMAPKIT_CLOSED', 'scanByteSum of the old Buffer');
    equal(m.unmap(), false, 'second unmap()');
  });

  await check('a file over 4 GiB maps at offsets past 2^32', () => {
    if (process.env.MMAPKIT_SMOKE_BIG === '0') return 'skipped: MMAPKIT_SMOKE_BIG=0';
    const file = path.join(tmp, 'big.bin');
    const size = 2 ** 32 + 3 * 65536; // 4 GiB + 192 KiB, sparse
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, size);
    equal(fs.statSync(file).size, size, 'file size');
    const high = 2 ** 32 + 65536 + 123; // unaligned, past 2^32
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('high-water mark'), 0, 15, high);
    // Read: a window starting past 4 GiB sees what write() put there, not what sits at high % 2^32.
    const r = mk.mapFile(file, { offset: high - 5, length: 64 });
    equal(r.read(5, 15).toString(), 'high-water mark', 'bytes read through the mapping at 2^32 + 65659');
    equal(r.offset, high - 5, 'the mapping reports its offset');
    r.unmap();
    // Write through a mapping past 4 GiB; pread sees it at the same file position.
    const w = mk.mapFile(fd, { mode: 'readwrite', offset: 2 ** 32 + 2 * 65536 + 7, length: 100 });
    w.write(0, 'written at 4 GiB + 128 KiB + 7');
    w.sync();
    w.unmap();
    const back = Buffer.alloc(30);
    fs.readSync(fd, back, 0, 30, 2 ** 32 + 2 * 65536 + 7);
    equal(back.toString(), 'written at 4 GiB + 128 KiB + 7', 'pread after the mapped write');
    // Nothing landed at the low alias (where a 32-bit offset would have put it).
    const low = Buffer.alloc(15);
    fs.readSync(fd, low, 0, 15, high % 2 ** 32);
    equal(
      low.every((x) => x === 0),
      true,
      'the low alias stays zero',
    );
    // The default length is the whole file: 4 GiB does not fit a 32-bit address space, and must
    // be refused there, not mapped as (size mod 2^32) bytes.
    let note;
    try {
      const whole = mk.mapFile(fd);
      equal(whole.length, size, 'length of the whole-file mapping');
      equal(whole.read(high, 15).toString(), 'high-water mark', 'bytes past 2^32 in the whole-file mapping');
      whole.unmap();
      note = 'whole file mapped';
    } catch (err) {
      assert(os.arch() === 'arm' || os.arch() === 'ia32', `mapping the whole file failed on a 64-bit system: ${err.code} ${err.message}`);
      assert(
        ['ENOMEM', 'ERR_OUT_OF_RANGE', 'EOVERFLOW', 'EFBIG'].includes(err.code),
        `whole-file mapping on 32-bit: unexpected error ${err.code}: ${err.message}`,
      );
      note = `whole file refused on 32-bit: ${err.code}`;
    }
    fs.closeSync(fd);
    fs.rmSync(file);
    return note;
  });

  await check('simulator scenarios: the seed UART and the GPIO set register', () => {
    const fast = mk.simUartScenario({ text: 'abcd', divisor: 1 });
    const slow = mk.simUartScenario({ text: 'abcd', divisor: 4 });
    assert(fast.ok && slow.ok, 'uart scenarios ok');
    assert(slow.data.simulatedNs > 3.5 * fast.data.simulatedNs, `divisor 4 takes ${slow.data.simulatedNs} ns, divisor 1 ${fast.data.simulatedNs} ns`);
    const g = mk.simGpioScenario();
    assert(g.ok, `gpio scenario: ${JSON.stringify(g).slice(0, 300)}`);
    const a = mk.simDoorbellRun({ seed: 1234, barrier: false, trace: true });
    const b = mk.simDoorbellRun({ seed: 1234, barrier: false, trace: true });
    equal(JSON.stringify(a.trace.toJSON()), JSON.stringify(b.trace.toJSON()), 'same seed, same trace');
  });

  await check('GPIO on the simulated Raspberry Pi 3, 4 and 5 (output, input, pulls, probe, errors)', () => {
    for (const model of ['pi3', 'pi4', 'pi5']) {
      const { gpio: sim, info } = mk.simRaspberryPi(model, { booted: false });
      const g = new mk.RaspberryPiGpio(sim, info);
      g.setFunction(17, 'output');
      g.write(17, 1);
      equal(sim.output(17), 1, `${model} output level after write 1`);
      equal(g.read(17), 1, `${model} read back 1`);
      g.write(17, false);
      equal(sim.output(17), 0, `${model} output level after write 0`);
      g.setFunction(17, 'input');
      equal(sim.output(17), null, `${model} input drives nothing`);
      sim.drive(17, 1);
      equal(g.read(17), 1, `${model} input driven high`);
      sim.drive(17, 0);
      equal(g.read(17), 0, `${model} input driven low`);
      sim.drive(17, null);
      g.setPull(17, 'up');
      equal(sim.pull(17), 'up', `${model} pull-up`);
      equal(g.read(17), 1, `${model} reads the pull-up`);
      g.setPull(17, 'pd');
      equal(g.read(17), 0, `${model} reads the pull-down`);
      throwsCode(() => g.read(info.pinCount), 'ERR_OUT_OF_RANGE', `${model} pin out of range`);
      throwsCode(() => g.setFunction(4, 'bogus'), 'ERR_INVALID_ARG_VALUE', `${model} bad function`);
      const ro = mk.simRaspberryPi(model, { writable: false });
      const states = new mk.RaspberryPiGpio(ro.gpio, ro.info).probe();
      equal(states.length, ro.info.pinCount, `${model} probe covers every pin`);
      equal(ro.gpio.writes, 0, `${model} probe writes no register`);
      g.close();
      throwsCode(() => g.read(4), 'ERR_MMAPKIT_CLOSED', `${model} read after close`);
    }
    const p3 = mk.simRaspberryPi('pi3');
    const names = new mk.RaspberryPiGpio(p3.gpio, p3.info).probe([2, 14]).map((s) => `${s.function}:${s.name}`);
    equal(names.join(' '), 'alt0:SDA1 alt5:TXD1', 'booted pi3 functions');
  });
} finally {
  try {
    mk.unlinkSharedMemory(shmName);
  } catch {
    /* already gone */
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok);
const where = `${runtime} ${process.platform}-${os.arch()}`;
if (failed.length) {
  console.log(`smoke: ${failed.length} of ${results.length} checks FAILED on ${where}: ${failed.map((r) => r.name).join('; ')}`);
  process.exit(1);
}
console.log(`smoke: ${results.length} checks passed on ${where}`);
