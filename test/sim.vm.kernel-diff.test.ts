// The simulator checked against the real kernel: random sequences of operations run on the
// simulated virtual memory and on a real file through the native backend; after every step the
// bytes each mapping observes (or the SIGBUS it gets) and the file's contents must agree.
//
// Operations: map (shared, private, anonymous, shared anonymous; file offsets; MAP_POPULATE), stores of
// 1/2/4/8 bytes through mappings, write()/read() at the file position, lseek, pwrite, msync, munmap,
// ftruncate, madvise(DONTNEED), with mappings owned by two simulated processes.
//
// Replay a failure with MMAPKIT_SIM_DIFF_SEED=<seed> (and MMAPKIT_SIM_DIFF_PATH=<path> to jump to
// the shrunk case); MMAPKIT_SIM_DIFF_RUNS sets the number of sequences (default 2000).
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SimMadvise,
  SimMapFlags,
  SimMsync,
  SimOpen,
  SimProt,
  SimSignal,
  SimVm,
  mapAnonymous,
  mapFile,
  pageSize,
  simCheck,
  type Mapping,
  type SimMapping,
  type SimProcess,
} from '../lib';
import { ROOT, runNode, tempDir } from './support/helpers';

const PAGE = 4096;
const MAX_FILE = 4 * PAGE;
const MAX_MAPS = 4;
const dir = tempDir('mmapkit-simdiff-');

type Kind = 'shared' | 'private' | 'anon' | 'anon-shared';
type Op =
  | { t: 'map'; proc: number; kind: Kind; pages: number; offsetPages: number; populate: boolean }
  | { t: 'store'; m: number; off: number; width: 1 | 2 | 4 | 8; value: number }
  | { t: 'pwrite'; off: number; data: Uint8Array }
  | { t: 'write'; data: Uint8Array }
  | { t: 'read'; count: number }
  | { t: 'seek'; pos: number }
  | { t: 'msync'; m: number }
  | { t: 'munmap'; m: number }
  | { t: 'truncate'; size: number }
  | { t: 'dontneed'; m: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('map' as const),
      proc: fc.integer({ min: 0, max: 1 }),
      kind: fc.constantFrom<Kind>('shared', 'private', 'private', 'anon', 'anon-shared'),
      pages: fc.integer({ min: 1, max: 3 }),
      offsetPages: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
      populate: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('store' as const),
      m: fc.nat(7),
      off: fc.nat(3 * PAGE - 1),
      width: fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8),
      value: fc.nat(0xffffffff),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('pwrite' as const), off: fc.nat(MAX_FILE - 1), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('write' as const), data: fc.uint8Array({ minLength: 1, maxLength: 700 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('read' as const), count: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('seek' as const), pos: fc.nat(MAX_FILE) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('msync' as const), m: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('munmap' as const), m: fc.nat(7) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('truncate' as const), size: fc.oneof(fc.nat(MAX_FILE), fc.constantFrom(0, PAGE, PAGE + 1, 2 * PAGE - 1, 3 * PAGE)) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dontneed' as const), m: fc.nat(7) }) },
);

interface Pair {
  kind: Kind;
  len: number;
  /** Where in the file the mapping starts. */
  fileOffset: number;
  proc: SimProcess;
  addr: number;
  sim: SimMapping;
  real: Mapping;
}

type Seen = string; // 'SIGBUS' or the page's bytes in hex

function simPage(m: Pair, i: number): Seen {
  try {
    return Buffer.from(m.sim.read(i * PAGE, PAGE)).toString('hex');
  } catch (err) {
    if (err instanceof SimSignal && err.code === 'SIGBUS') return 'SIGBUS';
    throw err;
  }
}

function realPage(m: Pair, i: number): Seen {
  try {
    return m.real.read(i * PAGE, PAGE).toString('hex');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MMAPKIT_SIGBUS') return 'SIGBUS';
    throw err;
  }
}

let runNo = 0;
const pressure = { runs: 0, evictions: 0, writebacks: 0, oomRuns: 0 };

/** Runs one sequence on both sides; throws (with the step) at the first disagreement. */
function runSequence(ops: Op[], frames: number): void {
  const file = path.join(dir, `f${runNo++}`);
  const initial = Buffer.alloc(2 * PAGE + 100);
  for (let i = 0; i < initial.length; i++) initial[i] = (i * 13 + 5) & 0xff;
  fs.writeFileSync(file, initial);
  const fd = fs.openSync(file, 'r+');
  const vm = new SimVm({ frames });
  vm.createFile('f', initial);
  const procs = [vm.spawn(), vm.spawn()];
  const simFd = simCheck(procs[0].open('f', SimOpen.RDWR), 'open');
  const fds = [simFd, simCheck(procs[1].open('f', SimOpen.RDWR), 'open')];
  const maps: Pair[] = [];
  const log: string[] = [];
  let realPos = 0; // the simulator's fd position, as the kernel side keeps it
  try {
    const check = (): void => {
      const real = fs.readFileSync(file);
      const size = procs[0].fstatSize(simFd);
      const viaRead = new Uint8Array(size);
      expect(procs[1].pread(fds[1], viaRead, size, 0)).toBe(size);
      expect(Buffer.from(viaRead).toString('hex')).toBe(real.toString('hex'));
      expect(Buffer.from(vm.fileBytes('f')).equals(real)).toBe(true);
      maps.forEach((m, k) => {
        for (let i = 0; i < m.len / PAGE; i++) {
          const r = realPage(m, i);
          const s = simPage(m, i);
          if (r !== s) {
            throw new Error(
              `mapping ${k} (${m.kind}, ${m.len / PAGE} pages at file offset ${m.fileOffset}), page ${i}: kernel ${r.slice(0, 64)}…, simulator ${s.slice(0, 64)}…`,
            );
          }
        }
      });
    };
    check();
    for (const op of ops) {
      log.push(JSON.stringify(op, (_k, v) => (v instanceof Uint8Array ? `${v.length} bytes` : v)));
      const size = procs[0].fstatSize(simFd);
      switch (op.t) {
        case 'map': {
          if (maps.length >= MAX_MAPS) continue;
          const len = op.pages * PAGE;
          const p = procs[op.proc];
          let addr: number;
          let real: Mapping;
          const populate = op.populate ? SimMapFlags.POPULATE : 0;
          const rw = SimProt.READ | SimProt.WRITE;
          let fileOffset = 0;
          if (op.kind === 'anon' || op.kind === 'anon-shared') {
            const type = op.kind === 'anon' ? SimMapFlags.PRIVATE : SimMapFlags.SHARED;
            addr = simCheck(p.mmap(0, len, rw, type | SimMapFlags.ANONYMOUS | populate, -1, 0), 'mmap');
            real = mapAnonymous(len, { shared: op.kind === 'anon-shared', populate: op.populate });
          } else {
            fileOffset = op.offsetPages * PAGE;
            const flags = op.kind === 'shared' ? SimMapFlags.SHARED : SimMapFlags.PRIVATE;
            addr = simCheck(p.mmap(0, len, rw, flags | populate, fds[op.proc], fileOffset), 'mmap');
            real = mapFile(file, { mode: op.kind === 'shared' ? 'readwrite' : 'private', offset: fileOffset, length: len, populate: op.populate });
          }
          maps.push({ kind: op.kind, len, fileOffset, proc: p, addr, sim: p.view(addr, len), real });
          break;
        }
        case 'store': {
          if (maps.length === 0) continue;
          const m = maps[op.m % maps.length];
          const off = Math.floor((op.off % (m.len - op.width + 1)) / op.width) * op.width; // aligned: never straddles a page
          // Bytes a shared mapping writes past EOF inside the last page are undefined territory on
          // Linux (they may or may not become file data when the file grows): not generated.
          const fileOff = m.fileOffset + off;
          if (m.kind === 'shared' && fileOff + op.width > size && fileOff < Math.ceil(size / PAGE) * PAGE) continue;
          const bytes = Buffer.alloc(8);
          bytes.writeBigUInt64LE((BigInt(op.value) * 0x100000001n) & 0xffffffffffffffffn);
          let simOutcome = 'ok';
          try {
            if (op.width === 1) m.sim.store8(off, bytes[0]);
            else if (op.width === 2) m.sim.store16(off, bytes.readUInt16LE(0));
            else if (op.width === 4) m.sim.store32(off, bytes.readUInt32LE(0));
            else m.sim.store64(off, bytes.readBigUInt64LE(0));
          } catch (err) {
            if (!(err instanceof SimSignal) || err.code === 'SIGKILL') throw err;
            simOutcome = err.code;
          }
          let realOutcome = 'ok';
          try {
            m.real.write(off, bytes.subarray(0, op.width));
          } catch (err) {
            if ((err as { code?: string }).code !== 'ERR_MMAPKIT_SIGBUS') throw err;
            realOutcome = 'SIGBUS';
          }
          if (simOutcome !== realOutcome) throw new Error(`store at ${off}: kernel ${realOutcome}, simulator ${simOutcome}`);
          break;
        }
        case 'pwrite': {
          const n = Math.min(op.data.length, MAX_FILE - op.off);
          expect(fs.writeSync(fd, op.data, 0, n, op.off)).toBe(n);
          expect(procs[0].pwrite(simFd, op.data, n, op.off)).toBe(n);
          break;
        }
        case 'write': {
          // The simulator's write() at its file position; the kernel side writes at the position this
          // test tracks (Node has no lseek), so the simulator's position keeping is checked too.
          const n = Math.min(op.data.length, MAX_FILE - realPos);
          if (n <= 0) continue;
          expect(fs.writeSync(fd, op.data, 0, n, realPos)).toBe(n);
          expect(procs[0].write(simFd, op.data, n)).toBe(n);
          realPos += n;
          break;
        }
        case 'read': {
          const a = Buffer.alloc(op.count);
          const b = new Uint8Array(op.count);
          const got = fs.readSync(fd, a, 0, op.count, realPos);
          expect(procs[0].read(simFd, b, op.count)).toBe(got);
          expect(Buffer.from(b.subarray(0, got)).equals(a.subarray(0, got))).toBe(true);
          realPos += got;
          break;
        }
        case 'seek': {
          realPos = op.pos;
          expect(procs[0].lseek(simFd, op.pos, 0)).toBe(op.pos);
          break;
        }
        case 'msync': {
          if (maps.length === 0) continue;
          const m = maps[op.m % maps.length];
          m.real.sync();
          expect(m.proc.msync(m.addr, m.len, SimMsync.SYNC)).toBe(0);
          if (m.kind === 'shared') {
            // MS_SYNC wrote the range's dirty pages: the block device now holds what read() sees.
            const lo = Math.min(m.fileOffset, size);
            const hi = Math.min(m.fileOffset + m.len, size);
            expect(Buffer.from(vm.diskBytes('f').subarray(lo, hi)).equals(Buffer.from(vm.fileBytes('f').subarray(lo, hi)))).toBe(true);
          }
          break;
        }
        case 'munmap': {
          if (maps.length === 0) continue;
          const [m] = maps.splice(op.m % maps.length, 1);
          m.real.unmap();
          expect(m.proc.munmap(m.addr, m.len)).toBe(0);
          break;
        }
        case 'truncate': {
          fs.ftruncateSync(fd, op.size);
          expect(procs[0].ftruncate(simFd, op.size)).toBe(0);
          break;
        }
        case 'dontneed': {
          if (maps.length === 0) continue;
          const m = maps[op.m % maps.length];
          m.real.advise('dontneed');
          expect(m.proc.madvise(m.addr, m.len, SimMadvise.DONTNEED)).toBe(0);
          break;
        }
      }
      try {
        check();
      } catch (err) {
        (err as Error).message = `after step ${log.length}:\n  ${log.join('\n  ')}\n${(err as Error).message}`;
        throw err;
      }
    }
  } catch (err) {
    // The simulator has no swap: a run whose private pages use up every frame is killed there
    // (the kernel would swap or has more memory); such a run ends at that step.
    if (err instanceof SimSignal && err.code === 'SIGKILL') {
      pressure.oomRuns++;
      return;
    }
    throw err;
  } finally {
    const c = vm.counters();
    pressure.runs++;
    pressure.evictions += c.evictions;
    pressure.writebacks += c.writebacks;
    for (const m of maps) m.real.unmap();
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

describe('simulator vs the real kernel', () => {
  it('the machine has 4 KiB pages (the model assumes them)', () => {
    expect(pageSize()).toBe(PAGE);
  });

  it(
    'agrees on bytes seen through shared, private and anonymous mappings and on the file, after every step',
    () => {
      const envSeed = process.env.MMAPKIT_SIM_DIFF_SEED;
      const seed = envSeed !== undefined ? Number(envSeed) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
      const runs = Number(process.env.MMAPKIT_SIM_DIFF_RUNS ?? 2000);
      const params: fc.Parameters<[Op[], number]> = { seed, numRuns: runs };
      if (process.env.MMAPKIT_SIM_DIFF_PATH) params.path = process.env.MMAPKIT_SIM_DIFF_PATH;
      try {
        // Few frames put the page cache under pressure: evictions, writebacks and major faults on
        // the way, and the bytes must not change.
        fc.assert(
          fc.property(fc.array(opArb, { minLength: 1, maxLength: 24 }), fc.constantFrom(8, 10, 64), (ops, frames) => {
            runSequence(ops, frames);
          }),
          params,
        );
      } catch (err) {
        (err as Error).message = `replay with MMAPKIT_SIM_DIFF_SEED=${seed}\n${(err as Error).message}`;
        throw err;
      }
      if (runs >= 500) {
        // The pressure paths were exercised, and few runs were cut short.
        expect(pressure.evictions).toBeGreaterThan(0);
        expect(pressure.writebacks).toBeGreaterThan(0);
        expect(pressure.oomRuns).toBeLessThan(pressure.runs / 10);
      }
      console.log(
        `simulator vs kernel: ${pressure.runs} sequences, ${pressure.evictions} evictions, ${pressure.writebacks} writebacks, ${pressure.oomRuns} ended by the simulator's OOM killer`,
      );
    },
    600_000 + 300 * Number(process.env.MMAPKIT_SIM_DIFF_RUNS ?? 0),
  ); // a soak-size run on a busy machine takes long

  it('agrees with a second real process on COW and sharing (the simulator forks, the kernel side runs a child)', () => {
    const file = path.join(dir, 'fork.bin');
    fs.writeFileSync(file, Buffer.from('ABC\nDEF\n'.repeat(512)));
    const childJs = path.join(dir, 'child.js');
    fs.writeFileSync(
      childJs,
      `
      const mk = require(${JSON.stringify(ROOT)});
      const file = process.argv[2];
      const m = mk.mapFile(file, { mode: 'readwrite' });
      m.store8(2, 0x79);
      m.sync();
      const p = mk.mapFile(file, { mode: 'private' });
      p.store8(3, 0x7a);
      process.stdout.write(JSON.stringify([p.load8(0), p.load8(1), p.load8(2), p.load8(3)]));
    `,
    );
    const script = `
      const fs = require('fs');
      const { spawnSync } = require('child_process');
      const [file, childJs] = process.argv.slice(-2);
      const priv = mk.mapFile(file, { mode: 'private' });
      const shared = mk.mapFile(file, { mode: 'readwrite' });
      priv.store8(1, 0x78);
      const c = spawnSync(process.execPath, [childJs, file], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(c.stderr);
      process.stdout.write(JSON.stringify({
        child: JSON.parse(c.stdout),
        priv: [priv.load8(0), priv.load8(1), priv.load8(2), priv.load8(3)],
        shared: [shared.load8(0), shared.load8(1), shared.load8(2), shared.load8(3)],
        file: [...fs.readFileSync(file).subarray(0, 4)],
      }));
    `;
    const r = runNode(script, { args: [file, childJs] });
    expect(r.stderr).toBe('');
    const real = JSON.parse(r.stdout);

    // The simulator: the same steps with two simulated processes.
    const vm = new SimVm({ frames: 64 });
    vm.createFile('f', Buffer.from('ABC\nDEF\n'.repeat(512)));
    const a = vm.spawn();
    const fdA = a.open('f', SimOpen.RDWR);
    const privA = a.view(simCheck(a.mmap(0, PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE, fdA, 0), 'mmap'), PAGE);
    const sharedA = a.view(simCheck(a.mmap(0, PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.SHARED, fdA, 0), 'mmap'), PAGE);
    privA.store8(1, 0x78);
    const b = a.fork();
    const sharedB = b.view(simCheck(b.mmap(0, PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.SHARED, fdA, 0), 'mmap'), PAGE);
    sharedB.store8(2, 0x79);
    simCheck(b.msync(sharedB.address, PAGE, SimMsync.SYNC), 'msync');
    const privB = b.view(simCheck(b.mmap(0, PAGE, SimProt.READ | SimProt.WRITE, SimMapFlags.PRIVATE, fdA, 0), 'mmap'), PAGE);
    privB.store8(3, 0x7a);
    const four = (v: SimMapping): number[] => [0, 1, 2, 3].map((i) => v.load8(i));
    const sim = { child: four(privB), priv: four(privA), shared: four(sharedA), file: Array.from(vm.fileBytes('f').subarray(0, 4)) };
    expect(real).toEqual({ child: [0x41, 0x42, 0x79, 0x7a], priv: [0x41, 0x78, 0x43, 0x0a], shared: [0x41, 0x42, 0x79, 0x0a], file: [0x41, 0x42, 0x79, 0x0a] });
    expect(sim).toEqual(real);
    // The forked child also inherited A's private copy: copy-on-write, not shared.
    expect(b.view(privA.address, PAGE).load8(1)).toBe(0x78);
    b.view(privA.address, PAGE).store8(1, 0x30);
    expect(privA.load8(1)).toBe(0x78);
  });
});
