// Runs inside the x86-64 QEMU guest (scripts/qemu/x86/run.sh), as root, with the host's node and
// the compiled mmapkit (argv[2]: the dist folder). Talks to QEMU's edu PCI device through BAR0 —
// mapped once through its sysfs resource file and once through /dev/mem at the BAR's physical
// address — and to the CMOS clock through /dev/port. Prints one line per result on the serial
// console: `MMAPKIT-RESULT {"name": ..., ...}`; test/hw.edu.test.ts turns each into an assertion.
'use strict';
const path = require('path');

const dist = path.resolve(process.argv[2] || 'dist');
const regs = require(path.join(dist, 'regs', 'index.js'));
const edu = require(path.join(dist, 'drivers', 'edu.js'));

const hex = (v) => '0x' + v.toString(16);
function emit(name, data) {
  const json = JSON.stringify({ name, ...data }, (_k, v) => (typeof v === 'bigint' ? hex(v) : v));
  process.stdout.write(`MMAPKIT-RESULT ${json}\n`);
}
function attempt(name, fn) {
  try {
    const out = fn();
    emit(name, out === undefined ? {} : out);
  } catch (err) {
    emit(name, { error: String(err && err.message), code: err && err.code });
  }
}
function errorOf(fn) {
  try {
    fn();
    return { threw: false };
  } catch (err) {
    return { threw: true, code: err.code, message: err.message };
  }
}
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const uptime = () => Number(require('fs').readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

emit('guest', { node: process.version, arch: process.arch, uptime: uptime(), uid: process.getuid() });

const found = regs.findPciDevices({ vendor: edu.EDU_VENDOR_ID, device: edu.EDU_DEVICE_ID });
const dev = found[0];
const bar0 = dev && dev.resources[0];
emit('find', { count: found.length, bdf: dev && dev.bdf, bar0Start: bar0 && bar0.start, bar0Size: bar0 && bar0.size, kind: bar0 && bar0.kind });

if (dev) {
  const viaFile = regs.openPciBar(dev.bdf, 0, { writable: true });
  const viaMem = regs.openRegisterWindow({ path: '/dev/mem', offset: bar0.start, length: 0x1000, writable: true });
  const driver = new edu.EduDriver(viaFile, { timeoutMs: 2000 });
  const driverMem = new edu.EduDriver(viaMem, { timeoutMs: 2000 });

  attempt('resource0.window', () => ({ path: viaFile.path, size: viaFile.size }));
  attempt('resource0.id', () => ({ value: viaFile.read32(edu.EDU_REG.ID) }));
  attempt('devmem.id', () => ({ value: viaMem.read32(edu.EDU_REG.ID), address: bar0.start }));
  attempt('identify', () => driver.identify());
  attempt('liveness', () => ({ written: 0x12345678, value: driver.liveness(0x12345678) }));
  attempt('liveness.devmem', () => ({ written: 0x0f0f1234, value: driverMem.liveness(0x0f0f1234) }));
  attempt('liveness.cross', () => {
    viaMem.write32(edu.EDU_REG.LIVENESS, 0xa5a50000);
    return { written: 0xa5a50000, value: viaFile.read32(edu.EDU_REG.LIVENESS) };
  });
  attempt('factorial', () => driver.factorial(10));
  attempt('factorial.devmem', () => driverMem.factorial(12));
  attempt('refused.read64', () => ({ value: viaFile.read64(edu.EDU_REG.ID) }));
  attempt('refused.unimplemented', () => ({ value: viaFile.read32(0x10) }));
  attempt('refused.read8', () => ({ value: viaFile.read8(edu.EDU_REG.ID) }));
  attempt('interrupt', () => {
    const before = driver.interruptStatus();
    driver.raiseInterrupt(0x100);
    const raised = driver.interruptStatus();
    const after = driver.acknowledgeInterrupt(0x100);
    return { before, raised, after };
  });
  attempt('interrupt.factorial', () => {
    const r = driver.factorial(5, { interrupt: true });
    const raised = driver.interruptStatus();
    const after = driver.acknowledgeInterrupt();
    return { value: r.value, raised, after };
  });
  attempt('bulk', () => {
    viaFile.write32(edu.EDU_REG.LIVENESS, 0);
    return { values: Array.from(regs.readRegisters(viaFile, 0, 2)) };
  });
  attempt('past-end', () => errorOf(() => regs.openPciBar(dev.bdf, 0, { offset: 0xff000, length: 0x2000 })));
  attempt('past-end.file', () => errorOf(() => regs.openRegisterWindow({ path: viaFile.path, offset: 0xff000, length: 0x2000 })));
  attempt('widths', () => {
    const w = regs.openPciBar(dev.bdf, 0, { length: 0x80, widths: [32] });
    try {
      return { id: w.read32(0), byte: errorOf(() => w.read8(0)) };
    } finally {
      w.close();
    }
  });
  attempt('barriers', () => {
    // The seed's descriptor-then-doorbell order: descriptor in ordinary memory, store barrier,
    // then the MMIO write (edu's liveness register stands in for a doorbell).
    const desc = Buffer.alloc(16);
    desc.writeBigUInt64LE(0x1000n, 0);
    desc.writeUInt32LE(64, 8);
    desc.writeUInt32LE(1, 12);
    regs.compilerBarrier();
    regs.storeBarrier();
    viaMem.write32(edu.EDU_REG.LIVENESS, 1);
    regs.fullBarrier();
    regs.loadBarrier();
    return { arch: regs.barriers.arch, doorbell: viaMem.read32(edu.EDU_REG.LIVENESS) };
  });
  attempt('cli.devmem', () => {
    const cli = path.join(dist, 'cli', 'devmem.js');
    if (!require('fs').existsSync(cli)) return { missing: true };
    const write = runCli(cli, ['--device', viaFile.path, '0x4', '32', '0x12345678']);
    const readBack = runCli(cli, [hex(bar0.start + 4n)]);
    runCli(cli, ['--port', '0x70', '8', '0x0a']); // CMOS status A: its low bits are the divider setting
    const port = runCli(cli, ['--port', '0x71', 'b']);
    return { output: runCli(cli, [hex(bar0.start)]), device: runCli(cli, ['--device', viaFile.path, '0x0', '32']), write, readBack, port };
  });
  attempt('dma', () => dmaRoundTrip(dev, viaFile));
  viaFile.close();
  viaMem.close();
  attempt('closed', () => errorOf(() => viaFile.read32(0)));
}

// The seed's descriptor-then-doorbell, with a device that really reads memory: fill a page of
// ordinary (anonymous, locked) memory, store barrier, program edu's DMA engine and ring it (the
// command register) to copy the page into the device's buffer, then DMA it back into a second page
// and compare. edu's DMA mask is 28 bits, so both pages must lie below 256 MiB; their physical
// addresses come from /proc/self/pagemap (root only).
function dmaRoundTrip(dev, io) {
  const fs = require('fs');
  const { mapAnonymous } = require(path.join(dist, 'mapping.js'));
  const PAGE = 4096;
  const COUNT = 64;
  const m = mapAnonymous(COUNT * PAGE, { populate: true, lock: true });
  for (let i = 0; i < COUNT; i++) m.store32(i * PAGE, i + 1); // make every page private and present
  const pagemap = fs.openSync('/proc/self/pagemap', 'r');
  const low = [];
  const entry = Buffer.alloc(8);
  for (let i = 0; i < COUNT && low.length < 2; i++) {
    const va = m.address + BigInt(i * PAGE);
    fs.readSync(pagemap, entry, 0, 8, Number((va / BigInt(PAGE)) * 8n));
    const v = entry.readBigUInt64LE(0);
    const pa = (v & ((1n << 55n) - 1n)) * BigInt(PAGE);
    if (v >> 63n && pa !== 0n && pa < 1n << 28n) low.push({ offset: i * PAGE, pa });
  }
  fs.closeSync(pagemap);
  if (low.length < 2) throw new Error(`no two pages below 256 MiB among ${COUNT} (edu's DMA mask)`);
  const [src, dst] = low;
  // No driver owns edu, so bus mastering is off: turn it on in the PCI command register.
  const cfg = fs.openSync(path.join(dev.path, 'config'), 'r+');
  const cmd = Buffer.alloc(2);
  fs.readSync(cfg, cmd, 0, 2, 4);
  cmd.writeUInt16LE(cmd.readUInt16LE(0) | 0x4, 0);
  fs.writeSync(cfg, cmd, 0, 2, 4);
  fs.closeSync(cfg);

  const LEN = 64;
  for (let k = 0; k < LEN; k += 4) m.store32(src.offset + k, (0xc0de0000 | k) >>> 0);
  for (let k = 0; k < LEN; k += 4) m.store32(dst.offset + k, 0);
  const R = edu.EDU_REG;
  const run = (from, to, command) => {
    io.write64(R.DMA_SRC, from);
    io.write64(R.DMA_DST, to);
    io.write64(R.DMA_COUNT, BigInt(LEN));
    regs.compilerBarrier();
    regs.storeBarrier(); // the data and the descriptor before the doorbell
    io.write64(R.DMA_CMD, command); // doorbell: start
    return regs.pollUntil(io, R.DMA_CMD, 1n, 0n, { width: 64, timeoutMs: 10000 });
  };
  const toDevice = run(src.pa, 0x40000n, 1n); // RAM -> edu buffer
  const toRam = run(0x40000n, dst.pa, 3n); // edu buffer -> RAM
  regs.loadBarrier();
  const back = [];
  for (let k = 0; k < LEN; k += 4) back.push(m.load32(dst.offset + k));
  m.close();
  return { src: src.pa, dst: dst.pa, words: back, polls: [toDevice.reads, toRam.reads], ms: [toDevice.elapsedMs, toRam.elapsedMs] };
}

function runCli(file, args) {
  const { execFileSync } = require('child_process');
  return execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).run(${JSON.stringify(args)}).then(c => process.exitCode = c)`], {
    encoding: 'utf8',
  }).trim();
}

// Errors users meet on /dev/mem: ordinary RAM is refused under CONFIG_STRICT_DEVMEM (EPERM), and a
// physical address beyond what the CPU can address cannot be mapped (EINVAL).
attempt('devmem.strict', () => errorOf(() => regs.openRegisterWindow({ offset: 0x1000000, length: 4096 })));
attempt('devmem.unmappable', () => errorOf(() => regs.openRegisterWindow({ offset: 1n << 60n, length: 4096 })));

// CMOS seconds (register 0, BCD) behind ports 0x70/0x71, through the CMOS driver that also runs
// on the simulator's port space.
const cmos = require(path.join(dist, 'drivers', 'cmos.js'));
const cmosSeconds = (ports) => cmos.cmosSecondsRaw(ports);
attempt('cmos.devport', () => {
  const ports = regs.openPorts();
  try {
    const first = cmosSeconds(ports);
    const t0 = Date.now();
    sleep(1100);
    const second = cmosSeconds(ports);
    return { first, second, waitedMs: Date.now() - t0, decoded: cmos.cmosSeconds(ports) };
  } finally {
    ports.close();
  }
});
attempt('cmos.ioperm', () => {
  const ports = regs.openPorts({ method: 'ioperm' });
  const first = cmosSeconds(ports);
  sleep(1100);
  const second = cmosSeconds(ports);
  return { first, second };
});
// The same calls without privileges: a child process as user nobody.
attempt('unprivileged', () => {
  const { spawnSync } = require('child_process');
  const script = `
    const regs = require(${JSON.stringify(path.join(dist, 'regs', 'index.js'))});
    const out = {};
    const tryIt = (name, fn) => { try { fn(); out[name] = { threw: false }; } catch (e) { out[name] = { threw: true, code: e.code, message: e.message }; } };
    tryIt('devmem', () => regs.openRegisterWindow({ offset: ${bar0 ? bar0.start : 0n}n, length: 4096 }));
    tryIt('resource', () => regs.openPciBar(${JSON.stringify(dev ? dev.bdf : '00:00.0')}, 0));
    tryIt('devport', () => regs.openPorts());
    tryIt('ioperm', () => regs.openPorts({ method: 'ioperm' }));
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`unprivileged child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
});
// Last, as it binds edu to uio_pci_generic: the device's interrupt through UIO (guest-uio.js).
const uioPart =
  dev && require('fs').existsSync(path.join(dist, 'uio.js'))
    ? require('./guest-uio.js')({ dist, emit, bdf: dev.bdf }).catch((err) => emit('uio', { error: String(err && err.stack) }))
    : Promise.resolve();
uioPart.finally(() => emit('done', { uptime: uptime() }));
