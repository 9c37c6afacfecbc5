// The UIO part of the x86-64 guest run (called at the end of guest.js, as root): loads uio.ko and
// uio_pci_generic.ko (unpacked by prepare.sh into the cache, read over 9p with the host's static
// busybox), binds the edu device to uio_pci_generic and drives its interrupt through mmapkit's
// UIO API: the interrupt-driven factorial, 100 interrupts in a row through IRQ_RAISE (0x60) with
// their latency, a missed interrupt showing as a gap in the count, the async iterator, timeouts,
// abort, and the errors users meet. Results go out as MMAPKIT-RESULT lines like guest.js's.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

module.exports = async function runUio({ dist, emit, bdf }) {
  const uio = require(path.join(dist, 'uio.js'));
  const edu = require(path.join(dist, 'drivers', 'edu.js'));
  const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const step = async (name, fn) => {
    try {
      const out = await fn();
      emit(name, out === undefined ? {} : out);
    } catch (err) {
      emit(name, { error: String(err && err.stack), code: err && err.code });
    }
  };
  const errorOf = async (fn) => {
    try {
      await fn();
      return { threw: false };
    } catch (err) {
      return { threw: true, code: err.code, errName: err.name, message: err.message };
    }
  };

  // The modules: <repo>/.cache/qemu-x86/<kver>/lib/modules/<kver>/kernel/drivers/uio/.
  const kver = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const cache = process.env.MMAPKIT_QEMU_CACHE || path.join(process.cwd(), '.cache', 'qemu-x86');
  const modDir = path.join(cache, kver, 'lib', 'modules', kver, 'kernel', 'drivers', 'uio');
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((f) => fs.existsSync(f));
  await step('uio.modules', () => {
    const loaded = [];
    for (const m of ['uio', 'uio_pci_generic']) {
      execFileSync(busybox, ['insmod', path.join(modDir, `${m}.ko`)], { stdio: 'pipe' });
      loaded.push(m);
    }
    return {
      loaded,
      modules: fs
        .readFileSync('/proc/modules', 'utf8')
        .split('\n')
        .filter((l) => /^uio/.test(l))
        .map((l) => l.split(' ')[0]),
    };
  });
  await step('uio.bind', () => {
    fs.writeFileSync('/sys/bus/pci/drivers/uio_pci_generic/new_id', '1234 11e8');
    for (let i = 0; i < 200 && uio.listUioDevices().length === 0; i++) sleep(10);
    const driver = path.basename(fs.readlinkSync(`/sys/bus/pci/devices/${bdf}/driver`));
    return { driver };
  });
  const list = uio.listUioDevices();
  emit('uio.list', { devices: list });
  const info = list.find((d) => d.pci === bdf);
  if (!info) return;

  const dev = uio.openUioDevice(info.path);
  const bar = dev.openPciBar(0, { writable: true, length: 0x1000 });
  // Counts the register accesses the driver makes, to show that it does not poll.
  const reads = new Map();
  const counted = new Proxy(bar, {
    get(target, prop) {
      if (prop === 'read32')
        return (off) => {
          reads.set(off, (reads.get(off) || 0) + 1);
          return target.read32(off);
        };
      const v = target[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const driver = new edu.EduDriver(counted, { timeoutMs: 5000 });
  const sysEvent = () => Number(fs.readFileSync(`/sys/class/uio/${info.id}/event`, 'utf8'));

  await step('uio.map', () => {
    const w = dev.mapRegion(0);
    try {
      return { size: w.size, id: w.read32(edu.EDU_REG.ID), path: w.path, offset: w.offset };
    } finally {
      w.close();
    }
  });
  await step('uio.factorial', async () => {
    const before = sysEvent();
    reads.clear();
    const r = await driver.factorialByInterrupt(10, dev, { timeout: 5000 });
    const after = sysEvent();
    return {
      ...r,
      sysEventBefore: before,
      sysEventAfter: after,
      statusReads: reads.get(edu.EDU_REG.STATUS) || 0,
      totalReads: [...reads.values()].reduce((a, b) => a + b, 0),
      irqStatusAfter: bar.read32(edu.EDU_REG.IRQ_STATUS),
    };
  });

  await step('uio.burst', async () => {
    const counts = [];
    const lat = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) {
      const t0 = process.hrtime.bigint();
      dev.enableInterrupt();
      // The wait starts (and finds nothing to read) before the raise: every interrupt is
      // delivered through the descriptor watcher.
      const wait = dev.waitInterrupt({ timeout: 5000 });
      bar.write32(edu.EDU_REG.IRQ_RAISE, 1);
      counts.push(await wait);
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      bar.write32(edu.EDU_REG.IRQ_ACK, bar.read32(edu.EDU_REG.IRQ_STATUS));
    }
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    const sorted = [...lat].sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const steps = counts.slice(1).map((c, i) => c - counts[i]);
    return {
      n: counts.length,
      first: counts[0],
      last: counts[counts.length - 1],
      gaps: steps.filter((s) => s !== 1).length,
      latencyUs: { min: sorted[0], median: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] },
      totalMs,
      perSecond: (counts.length / totalMs) * 1000,
      sysEvent: sysEvent(),
    };
  });

  await step('uio.gap', () => {
    const before = dev.count;
    for (let i = 0; i < 2; i++) {
      dev.enableInterrupt();
      bar.write32(edu.EDU_REG.IRQ_RAISE, 1);
      sleep(50); // the kernel takes the interrupt meanwhile; nobody reads it
      bar.write32(edu.EDU_REG.IRQ_ACK, bar.read32(edu.EDU_REG.IRQ_STATUS));
    }
    return { before, after: dev.takeInterrupt() };
  });

  await step('uio.iterator', async () => {
    const seen = [];
    bar.write32(edu.EDU_REG.IRQ_RAISE, 2);
    for await (const count of dev.interrupts({ reenable: true, timeout: 5000 })) {
      seen.push(count);
      bar.write32(edu.EDU_REG.IRQ_ACK, bar.read32(edu.EDU_REG.IRQ_STATUS));
      if (seen.length === 3) break;
      bar.write32(edu.EDU_REG.IRQ_RAISE, 2);
    }
    return { seen };
  });

  await step('uio.timeout', async () => {
    dev.enableInterrupt();
    const t0 = Date.now();
    const e = await errorOf(() => dev.waitInterrupt({ timeout: 200 }));
    return { ...e, waitedMs: Date.now() - t0 };
  });
  await step('uio.abort', async () => {
    bar.write32(edu.EDU_REG.IRQ_ACK, bar.read32(edu.EDU_REG.IRQ_STATUS));
    dev.takeInterrupt();
    dev.enableInterrupt();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    return errorOf(() => dev.waitInterrupt({ signal: ac.signal }));
  });
  await step('uio.errors', async () => ({
    missing: await errorOf(() => uio.openUioDevice(7)),
    notUio: await errorOf(() => uio.openUioDevice('/dev/null')),
    noMap: await errorOf(() => dev.mapRegion(1)),
    unprivileged: (() => {
      const script =
        `try { require(${JSON.stringify(path.join(dist, 'uio.js'))}).openUioDevice(${JSON.stringify(info.path)}); console.log('{"threw":false}'); } ` +
        'catch (e) { console.log(JSON.stringify({ threw: true, code: e.code, message: e.message })); }';
      const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
      return JSON.parse(r.stdout.trim());
    })(),
  }));
  // The command line in a child process: its own open of /dev/uioN, found by edu's PCI ID.
  await step('uio.cli', () => {
    const cli = path.join(dist, 'cli', 'uio.js');
    if (!fs.existsSync(cli)) return { missing: true };
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(cli)}).run(process.argv.slice(1)).then((c) => { process.exitCode = c; })`,
        'edu',
        '--n',
        '12',
        '--raise',
        '50',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    return { status: r.status, run: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
  });
  await step('uio.close', async () => {
    dev.takeInterrupt(); // the count moved with the command line's interrupts: catch up first
    dev.enableInterrupt();
    const pending = errorOf(() => dev.waitInterrupt());
    dev.close();
    dev.close();
    return { pending: await pending, after: await errorOf(() => dev.waitInterrupt()) };
  });
  bar.close();
};
