// System calls of the simulated virtual memory: Linux's argument rules and errno results, and what
// each call does to page tables, the page cache, the block device and the TLB.
import { describe, expect, it } from 'vitest';
import { SimErrno, SimMadvise, SimMapFlags, SimMsync, SimOpen, SimProt, SimSignal, SimVm, simCheck, simErrnoName, type SimProcess } from '../lib';

const PAGE = 4096;
const RW = SimProt.READ | SimProt.WRITE;
const { SHARED, PRIVATE, ANONYMOUS, FIXED, POPULATE, HUGETLB, FIXED_NOREPLACE } = SimMapFlags;

function setup(opts: ConstructorParameters<typeof SimVm>[0] = { frames: 256 }) {
  const vm = new SimVm(opts);
  const p = vm.spawn();
  return { vm, p };
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function signalOf(fn: () => unknown): SimSignal {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimSignal) return err;
    throw err;
  }
  throw new Error('no signal');
}

function mapPath(p: SimProcess, path: string, len: number, prot: number, flags: number, offset = 0): number {
  const fd = simCheck(p.open(path, SimOpen.RDWR), 'open');
  const a = simCheck(p.mmap(0, len, prot, flags, fd, offset), 'mmap');
  p.close(fd);
  return a;
}

describe('mmap argument rules', () => {
  it('returns -EINVAL for an unaligned offset or a zero length, -EBADF for a bad fd', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(3 * PAGE));
    const fd = p.open('f', SimOpen.RDONLY);
    expect(p.mmap(0, PAGE, SimProt.READ, PRIVATE, fd, 100)).toBe(-SimErrno.EINVAL);
    expect(p.mmap(0, 0, SimProt.READ, PRIVATE, fd, 0)).toBe(-SimErrno.EINVAL);
    expect(p.mmap(0, PAGE, SimProt.READ, PRIVATE, 99, 0)).toBe(-SimErrno.EBADF);
    expect(p.mmap(0, PAGE, SimProt.READ, 0, fd, 0)).toBe(-SimErrno.EINVAL); // neither SHARED nor PRIVATE
    expect(p.mmap(0, PAGE, SimProt.READ, PRIVATE | ANONYMOUS, -1, 1)).toBe(-SimErrno.EINVAL);
    expect(simErrnoName(p.mmap(0, -1, SimProt.READ, PRIVATE, fd, 0))).toBe('ENOMEM');
    expect(p.mmap(0, PAGE, SimProt.READ, PRIVATE, fd, 4 * PAGE)).toBeGreaterThan(0); // past EOF is allowed
  });

  it('refuses a writable shared mapping of a read-only fd (EACCES) and any mapping of a write-only fd', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(PAGE));
    const ro = p.open('f', SimOpen.RDONLY);
    const wo = p.open('f', SimOpen.WRONLY);
    expect(p.mmap(0, PAGE, RW, SHARED, ro, 0)).toBe(-SimErrno.EACCES);
    expect(p.mmap(0, PAGE, RW, PRIVATE, ro, 0)).toBeGreaterThan(0);
    expect(p.mmap(0, PAGE, SimProt.READ, SHARED, wo, 0)).toBe(-SimErrno.EACCES);
    const a = simCheck(p.mmap(0, PAGE, SimProt.READ, SHARED, ro, 0), 'mmap');
    expect(p.mprotect(a, PAGE, RW)).toBe(-SimErrno.EACCES);
  });

  it('honours hints and MAP_FIXED, checks alignment, replaces old mappings, and MAP_FIXED_NOREPLACE says EEXIST', () => {
    const { p } = setup();
    const hint = 0x200000000;
    expect(p.mmap(hint, PAGE, RW, PRIVATE | ANONYMOUS, -1, 0)).toBe(hint);
    expect(p.mmap(hint, PAGE, RW, PRIVATE | ANONYMOUS, -1, 0)).not.toBe(hint); // taken: placed elsewhere
    expect(p.mmap(hint + 1, PAGE, RW, PRIVATE | ANONYMOUS | FIXED, -1, 0)).toBe(-SimErrno.EINVAL);
    expect(p.mmap(PAGE, PAGE, RW, PRIVATE | ANONYMOUS | FIXED, -1, 0)).toBe(-SimErrno.EPERM);
    expect(p.mmap(hint, PAGE, RW, PRIVATE | ANONYMOUS | FIXED_NOREPLACE, -1, 0)).toBe(-SimErrno.EEXIST);
    p.store8(hint, 9);
    expect(p.mmap(hint, PAGE, RW, PRIVATE | ANONYMOUS | FIXED, -1, 0)).toBe(hint);
    expect(p.load8(hint)).toBe(0); // a fresh mapping replaced the old one
  });

  it('simCheck turns -errno into a system error', () => {
    const { p } = setup();
    expect(() => simCheck(p.mmap(0, 0, 1, PRIVATE | ANONYMOUS, -1, 0), 'mmap')).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'mmap' }));
  });
});

describe('faults', () => {
  it('counts a major fault for a page read from the device and a minor one for a cached page', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(2 * PAGE));
    const a = mapPath(p, 'f', 2 * PAGE, SimProt.READ, SHARED);
    const q = vm.spawn();
    const b = mapPath(q, 'f', 2 * PAGE, SimProt.READ, SHARED);
    expect(p.load8(a + 5)).toBe(bytes(2 * PAGE)[5]);
    expect(q.load8(b + 5)).toBe(bytes(2 * PAGE)[5]);
    expect(p.counters().majorFaults).toBe(1);
    expect(q.counters().minorFaults).toBe(1);
    expect(q.counters().majorFaults).toBe(0);
    expect(vm.counters().blockReads).toBe(1);
  });

  it('maps the zero page on a first anonymous read and a zeroed frame on the first write', () => {
    const { vm, p } = setup();
    const a = simCheck(p.mmap(0, 4 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    const used = vm.counters().framesUsed;
    expect(p.load32(a)).toBe(0);
    expect(p.counters().zeroPageMaps).toBe(1);
    expect(vm.counters().framesUsed).toBe(used);
    p.store32(a, 0xdeadbeef);
    expect(p.counters().zeroFills).toBe(1);
    expect(vm.counters().framesUsed).toBe(used + 1);
    expect(p.load32(a)).toBe(0xdeadbeef);
  });

  it('raises SIGSEGV for an unmapped address and for a protection violation, SIGBUS past EOF', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(100));
    const a = mapPath(p, 'f', 3 * PAGE, SimProt.READ, SHARED);
    expect(signalOf(() => p.store8(a, 1))).toMatchObject({ code: 'SIGSEGV', reason: 'SEGV_ACCERR', access: 'write' });
    expect(p.load8(a + 200)).toBe(0); // tail of the last partial page
    expect(signalOf(() => p.load8(a + PAGE))).toMatchObject({ code: 'SIGBUS', address: a + PAGE });
    expect(signalOf(() => p.load8(a + 3 * PAGE))).toMatchObject({ code: 'SIGSEGV', reason: 'SEGV_MAPERR' });
    expect(p.counters().signals).toBe(3);
  });

  it('loads and stores of 1, 2, 4 and 8 bytes are little-endian, also across a page boundary', () => {
    const { p } = setup();
    const a = simCheck(p.mmap(0, 2 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    const v = p.view(a, 2 * PAGE);
    v.store64(8, 0x1122334455667788n);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => v.load8(8 + i))).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(v.load16(8)).toBe(0x7788);
    expect(v.load32(12)).toBe(0x11223344);
    v.store32(PAGE - 2, 0xa1b2c3d4);
    expect(v.load32(PAGE - 2)).toBe(0xa1b2c3d4);
    expect(v.load8(PAGE)).toBe(0xb2);
    v.store64(PAGE - 3, 0x0102030405060708n);
    expect(v.load64(PAGE - 3)).toBe(0x0102030405060708n);
    expect(p.load64(a + PAGE - 3)).toBe(0x0102030405060708n);
    v.store16(PAGE - 1, 0xbeef);
    expect(p.load16(a + PAGE - 1)).toBe(0xbeef);
    expect(() => v.load8(1.5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('a straddling store that would fault on its second page writes nothing', () => {
    const { p } = setup();
    const a = simCheck(p.mmap(0, 2 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    simCheck(p.mprotect(a + PAGE, PAGE, SimProt.READ), 'mprotect');
    expect(signalOf(() => p.store32(a + PAGE - 2, 0xffffffff)).code).toBe('SIGSEGV');
    expect(p.load8(a + PAGE - 1)).toBe(0);
  });
});

describe('MAP_PRIVATE, MAP_SHARED and the page cache', () => {
  it('shared writes reach other mappings and read() at once, and the disk on msync(MS_SYNC)', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(PAGE));
    const a = mapPath(p, 'f', PAGE, RW, SHARED);
    const q = vm.spawn();
    const b = mapPath(q, 'f', PAGE, SimProt.READ, SHARED);
    p.store8(a + 10, 0xee);
    expect(q.load8(b + 10)).toBe(0xee);
    const fd = q.open('f', SimOpen.RDONLY);
    const buf = new Uint8Array(16);
    expect(q.pread(fd, buf, 16, 0)).toBe(16);
    expect(buf[10]).toBe(0xee);
    expect(q.counters().readBytes).toBe(16);
    expect(vm.diskBytes('f')[10]).toBe(bytes(PAGE)[10]);
    expect(p.msync(a, PAGE, SimMsync.ASYNC)).toBe(0);
    expect(vm.diskBytes('f')[10]).toBe(bytes(PAGE)[10]); // MS_ASYNC starts nothing, as on Linux
    expect(p.msync(a, PAGE, SimMsync.SYNC)).toBe(0);
    expect(vm.diskBytes('f')[10]).toBe(0xee);
    expect(vm.counters().writebacks).toBe(1);
    // After writeback the page is clean and write-protected: the next store faults to re-dirty it.
    const minor = p.counters().minorFaults;
    p.store8(a + 11, 0xef);
    expect(p.counters().minorFaults).toBe(minor + 1);
    expect(p.msync(a, PAGE, SimMsync.SYNC)).toBe(0);
    expect(vm.diskBytes('f')[11]).toBe(0xef);
    expect(p.msync(a + 1, PAGE, SimMsync.SYNC)).toBe(-SimErrno.EINVAL);
    expect(p.msync(a, PAGE, SimMsync.SYNC | SimMsync.ASYNC)).toBe(-SimErrno.EINVAL);
    expect(p.msync(a, PAGE, SimMsync.INVALIDATE)).toBe(0);
    expect(p.msync(a, 2 * PAGE, SimMsync.SYNC)).toBe(-SimErrno.ENOMEM);
  });

  it('private writes never reach the file; write() is seen by private pages not yet copied', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(2 * PAGE));
    const a = mapPath(p, 'f', 2 * PAGE, RW, PRIVATE);
    p.store8(a, 0x55);
    expect(p.counters().cowCopies).toBe(1);
    vm.sync();
    expect(vm.fileBytes('f')[0]).toBe(bytes(2 * PAGE)[0]);
    expect(vm.diskBytes('f')[0]).toBe(bytes(2 * PAGE)[0]);
    const fd = p.open('f', SimOpen.RDWR);
    p.pwrite(fd, new Uint8Array([0x99, 0x98]), 2, 0);
    p.pwrite(fd, new Uint8Array([0x77]), 1, PAGE);
    expect(p.load8(a)).toBe(0x55); // its own copy
    expect(p.load8(a + 1)).toBe(bytes(2 * PAGE)[1]);
    expect(p.load8(a + PAGE)).toBe(0x77); // page 1 still shares the page cache page
  });

  it('fork shares pages copy-on-write; the first writer copies, the last one reuses', () => {
    const { vm, p } = setup();
    const a = simCheck(p.mmap(0, 2 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    const s = simCheck(p.mmap(0, PAGE, RW, SHARED | ANONYMOUS, -1, 0), 'mmap');
    p.store8(a, 1);
    p.store8(s, 1);
    const frames = vm.counters().framesUsed;
    const c = p.fork();
    expect(vm.counters().framesUsed).toBe(frames); // nothing copied at fork
    expect(c.load8(a)).toBe(1);
    c.store8(a, 2);
    expect(c.counters().cowCopies).toBe(1);
    expect(p.load8(a)).toBe(1);
    p.store8(a, 3); // sole owner now: no copy
    expect(p.counters().cowCopies).toBe(0);
    expect(c.load8(a)).toBe(2);
    c.store8(s, 7); // shared anonymous memory stays shared
    expect(p.load8(s)).toBe(7);
    c.exit();
    expect(vm.counters().cowCopies).toBe(1);
  });

  it('a shared anonymous mapping frees its pages when the last mapping goes', () => {
    const { vm, p } = setup();
    const used = vm.counters().framesUsed;
    const s = simCheck(p.mmap(0, 4 * PAGE, RW, SHARED | ANONYMOUS, -1, 0), 'mmap');
    for (let i = 0; i < 4; i++) p.store8(s + i * PAGE, i);
    expect(vm.counters().framesUsed).toBe(used + 4);
    simCheck(p.munmap(s, 4 * PAGE), 'munmap');
    expect(vm.counters().framesUsed).toBe(used);
  });
});

describe('munmap, mprotect and the TLB', () => {
  it('a partial munmap splits the VMA and flushes the TLB', () => {
    const { p } = setup();
    const a = simCheck(p.mmap(0, 4 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    for (let i = 0; i < 4; i++) p.store8(a + i * PAGE, i + 1);
    const v = p.view(a, 4 * PAGE);
    expect(v.load8(PAGE)).toBe(2); // cached in the view and in the TLB
    expect(p.munmap(a + PAGE, PAGE)).toBe(0);
    expect(p.maps().map((m) => [m.start - a, m.end - a])).toEqual([
      [0, PAGE],
      [2 * PAGE, 4 * PAGE],
    ]);
    expect(signalOf(() => v.load8(PAGE)).code).toBe('SIGSEGV');
    expect(v.load8(2 * PAGE)).toBe(3);
    expect(p.munmap(a + 1, PAGE)).toBe(-SimErrno.EINVAL);
    expect(p.munmap(a, 0)).toBe(-SimErrno.EINVAL);
    expect(p.munmap(a + 8 * PAGE, PAGE)).toBe(0); // nothing mapped there: fine
  });

  it('mprotect takes effect at once through a cached translation, and back', () => {
    const { p } = setup();
    const a = simCheck(p.mmap(0, 2 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    const v = p.view(a, 2 * PAGE);
    v.store8(0, 5);
    expect(p.mprotect(a, PAGE, SimProt.READ)).toBe(0);
    expect(signalOf(() => v.store8(0, 6)).reason).toBe('SEGV_ACCERR');
    expect(v.load8(0)).toBe(5);
    expect(p.mprotect(a, PAGE, SimProt.NONE)).toBe(0);
    expect(signalOf(() => v.load8(0)).reason).toBe('SEGV_ACCERR');
    expect(p.mprotect(a, PAGE, RW)).toBe(0);
    v.store8(0, 6);
    expect(v.load8(0)).toBe(6);
    expect(p.maps().length).toBe(2);
    expect(p.mprotect(a + 1, PAGE, RW)).toBe(-SimErrno.EINVAL);
    expect(p.mprotect(a, 3 * PAGE, RW)).toBe(-SimErrno.ENOMEM);
    expect(p.mprotect(a, PAGE, 0x100)).toBe(-SimErrno.EINVAL);
    expect(p.mprotect(a, 0, RW)).toBe(0);
  });

  it('flushes every CPU on munmap (TLB shootdown) and keeps processes apart by ASID', () => {
    const vm = new SimVm({ frames: 64, cpus: 2 });
    const p = vm.spawn({ cpu: 0 });
    const a = simCheck(p.mmap(0, PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    p.store8(a, 1);
    p.migrate(1);
    p.store8(a, 2);
    p.migrate(0);
    expect(p.load8(a)).toBe(2);
    const q = vm.spawn({ cpu: 0 });
    const b = simCheck(q.mmap(a, PAGE, RW, PRIVATE | ANONYMOUS | FIXED, -1, 0), 'mmap');
    expect(b).toBe(a);
    expect(q.load8(b)).toBe(0); // same virtual address, other address space
    simCheck(p.munmap(a, PAGE), 'munmap');
    expect(vm.tlbs[0].occupancy() + vm.tlbs[1].occupancy()).toBe(1); // only q's entry is left
  });

  it('a 2-way TLB set conflicts where a fully associative one does not', () => {
    const miss = (ways: number): number => {
      const vm = new SimVm({ frames: 64, tlbEntries: 8, tlbWays: ways });
      const p = vm.spawn();
      const a = simCheck(p.mmap(0, 64 * PAGE, SimProt.READ, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
      const v = p.view(a, 64 * PAGE);
      const pages = [0, 4, 8]; // same set when there are 4 sets
      for (let r = 0; r < 5; r++) for (const pg of pages) v.load8(pg * PAGE);
      return p.counters().tlbMisses;
    };
    expect(miss(8)).toBe(3);
    expect(miss(2)).toBe(15);
    expect(() => new SimVm({ tlbEntries: 64, tlbWays: 5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new SimVm({ frames: 2 ** 20 + 1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new SimVm({ frames: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new SimVm({ replacement: 'fifo' as 'lru' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('madvise, mincore, ftruncate', () => {
  it('MADV_DONTNEED drops private copies (file bytes come back; anonymous memory reads zero)', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(PAGE));
    const a = mapPath(p, 'f', PAGE, RW, PRIVATE);
    const z = simCheck(p.mmap(0, PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    p.store8(a, 0);
    p.store8(z, 9);
    expect(p.madvise(a, PAGE, SimMadvise.DONTNEED)).toBe(0);
    expect(p.madvise(z, PAGE, SimMadvise.DONTNEED)).toBe(0);
    expect(p.load8(a)).toBe(bytes(PAGE)[0]);
    expect(p.load8(z)).toBe(0);
    expect(p.madvise(a, PAGE, 99)).toBe(-SimErrno.EINVAL);
    expect(p.madvise(a + 1, PAGE, SimMadvise.DONTNEED)).toBe(-SimErrno.EINVAL);
  });

  it('MADV_WILLNEED reads pages into the cache so the faults are minor; mincore reports residency', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(4 * PAGE));
    const a = mapPath(p, 'f', 4 * PAGE, SimProt.READ, SHARED);
    const vec = new Uint8Array(4);
    expect(p.mincore(a, 4 * PAGE, vec)).toBe(0);
    expect(Array.from(vec)).toEqual([0, 0, 0, 0]);
    expect(p.madvise(a + PAGE, 2 * PAGE, SimMadvise.WILLNEED)).toBe(0);
    expect(p.mincore(a, 4 * PAGE, vec)).toBe(0);
    expect(Array.from(vec)).toEqual([0, 1, 1, 0]);
    p.load8(a + PAGE);
    p.load8(a + 2 * PAGE);
    expect(p.counters()).toMatchObject({ majorFaults: 0, minorFaults: 2 });
    expect(p.mincore(a + 1, PAGE, vec)).toBe(-SimErrno.EINVAL);
    expect(p.mincore(a, 5 * PAGE, new Uint8Array(5))).toBe(-SimErrno.ENOMEM);
  });

  it('ftruncate shrinking makes mapped pages past EOF SIGBUS and zeroes the new tail; growing brings zeros', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(3 * PAGE));
    const a = mapPath(p, 'f', 3 * PAGE, RW, SHARED);
    const b = mapPath(p, 'f', 3 * PAGE, RW, PRIVATE);
    p.load8(a + 2 * PAGE);
    p.store8(b + 2 * PAGE, 1); // a private copy of page 2
    const fd = p.open('f', SimOpen.RDWR);
    expect(p.ftruncate(fd, PAGE + 10)).toBe(0);
    expect(signalOf(() => p.load8(a + 2 * PAGE)).code).toBe('SIGBUS');
    expect(signalOf(() => p.load8(b + 2 * PAGE)).code).toBe('SIGBUS'); // private copies go too
    expect(p.load8(a + PAGE + 9)).toBe(bytes(3 * PAGE)[PAGE + 9]);
    expect(p.load8(a + PAGE + 10)).toBe(0);
    expect(p.ftruncate(fd, 3 * PAGE)).toBe(0);
    expect(p.load8(a + 2 * PAGE)).toBe(0);
    expect(p.load8(a + PAGE + 10)).toBe(0);
    expect(p.ftruncate(fd, -1)).toBe(-SimErrno.EINVAL);
    const ro = p.open('f', SimOpen.RDONLY);
    expect(p.ftruncate(ro, 0)).toBe(-SimErrno.EINVAL);
    expect(p.ftruncate(77, 0)).toBe(-SimErrno.EBADF);
  });

  it('read() and write() go through the page cache, with positions and EOF', () => {
    const { vm, p } = setup();
    const fd = simCheck(p.open('new', SimOpen.RDWR | SimOpen.CREAT), 'open');
    expect(p.write(fd, bytes(5000))).toBe(5000);
    expect(p.lseek(fd, 0, 0)).toBe(0);
    const buf = new Uint8Array(6000);
    expect(p.read(fd, buf)).toBe(5000);
    expect(p.read(fd, buf)).toBe(0);
    expect(Buffer.from(buf.subarray(0, 5000)).equals(Buffer.from(bytes(5000)))).toBe(true);
    expect(p.pwrite(fd, new Uint8Array([1]), 1, 10000)).toBe(1);
    expect(vm.file('new')!.size).toBe(10001);
    expect(p.pread(fd, buf, 10, 9995)).toBe(6);
    expect(Array.from(buf.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
    expect(p.open('missing', SimOpen.RDONLY)).toBe(-SimErrno.ENOENT);
    expect(p.read(99, buf)).toBe(-SimErrno.EBADF);
    const ro = p.open('new', SimOpen.RDONLY);
    expect(p.write(ro, buf, 1)).toBe(-SimErrno.EBADF);
    expect(p.pread(fd, buf, 1, -1)).toBe(-SimErrno.EINVAL);
    expect(p.counters().readBytes).toBe(5006);
  });
});

describe('memory pressure', () => {
  for (const replacement of ['clock', 'lru'] as const) {
    it(`${replacement}: evicts page-cache pages, writes dirty ones back, and refaults them as major faults`, () => {
      const vm = new SimVm({ frames: 16, replacement });
      const p = vm.spawn();
      vm.createFile('f', bytes(64 * PAGE));
      const a = mapPath(p, 'f', 64 * PAGE, RW, SHARED);
      for (let i = 0; i < 64; i++) p.store8(a + i * PAGE, 0xf0 ^ i);
      const c = vm.counters();
      expect(c.evictions).toBeGreaterThanOrEqual(64 - 15);
      expect(c.writebacks).toBeGreaterThanOrEqual(64 - 15);
      for (let i = 0; i < 64; i++) expect(p.load8(a + i * PAGE)).toBe(0xf0 ^ i);
      expect(p.counters().majorFaults).toBeGreaterThan(64);
      vm.sync();
      const disk = vm.diskBytes('f');
      for (let i = 0; i < 64; i++) expect(disk[i * PAGE]).toBe(0xf0 ^ i);
    });
  }

  it('LRU keeps the hot page; the out-of-memory killer fires when only anonymous pages are left', () => {
    const vm = new SimVm({ frames: 8, replacement: 'lru' });
    const p = vm.spawn();
    vm.createFile('f', bytes(32 * PAGE));
    const a = mapPath(p, 'f', 32 * PAGE, SimProt.READ, SHARED);
    for (let i = 1; i < 32; i++) {
      // TLB hits do not move a page in the LRU list (hardware does not tell the kernel), TLB fills do:
      // flush so that each use of page 0 is a fill.
      vm.tlbs[0].flushAll();
      p.load8(a);
      p.load8(a + i * PAGE);
    }
    const majorBefore = p.counters().majorFaults;
    p.load8(a);
    expect(p.counters().majorFaults).toBe(majorBefore); // page 0 stayed resident
    const z = simCheck(p.mmap(0, 16 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    expect(
      signalOf(() => {
        for (let i = 0; i < 16; i++) p.store8(z + i * PAGE, 1);
      }),
    ).toMatchObject({ code: 'SIGKILL', reason: 'OOM' });
  });

  it('huge pages: 2 MiB zero page on read, one zero-fill on write, copy-on-write after fork', () => {
    const vm = new SimVm({ frames: 2048 });
    const p = vm.spawn();
    const H = 2 * 1024 * 1024;
    const a = simCheck(p.mmap(0, H + 1, RW, PRIVATE | ANONYMOUS | HUGETLB, -1, 0), 'mmap');
    expect(a % H).toBe(0);
    expect(p.maps()[0].end - a).toBe(2 * H);
    expect(p.load8(a + 12345)).toBe(0);
    p.store8(a + 12345, 7);
    expect(p.counters().zeroFills).toBe(1);
    const c = p.fork();
    c.store8(a + 1, 1);
    expect(c.counters().cowCopies).toBe(1);
    expect(c.load8(a + 12345)).toBe(7);
    expect(p.load8(a + 1)).toBe(0);
    expect(p.munmap(a + PAGE, PAGE)).toBe(-SimErrno.EINVAL); // cannot split a 2 MiB page
    expect(p.mmap(0, PAGE, RW, SHARED | ANONYMOUS | HUGETLB, -1, 0)).toBe(-SimErrno.EINVAL);
  });

  it('MAP_POPULATE faults everything in at mmap time and stops quietly at EOF', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(2 * PAGE + 1));
    const fd = p.open('f', SimOpen.RDONLY);
    const a = simCheck(p.mmap(0, 5 * PAGE, SimProt.READ, PRIVATE | POPULATE, fd, 0), 'mmap');
    expect(p.counters().majorFaults).toBe(3);
    p.load8(a + 2 * PAGE);
    expect(p.counters().majorFaults + p.counters().minorFaults).toBe(3);
    const z = simCheck(p.mmap(0, 3 * PAGE, RW, PRIVATE | ANONYMOUS | POPULATE, -1, 0), 'mmap');
    expect(p.counters().zeroFills).toBe(3);
    expect(p.load8(z)).toBe(0);
  });
});

describe('trace and counters', () => {
  it('traces faults, copies, zero-fills, evictions and writebacks; global counters outlive processes', () => {
    const vm = new SimVm({ frames: 8, trace: true });
    vm.createFile('f', bytes(16 * PAGE));
    const p = vm.spawn();
    const a = mapPath(p, 'f', 16 * PAGE, RW, SHARED);
    const b = mapPath(p, 'f', PAGE, RW, PRIVATE);
    const z = simCheck(p.mmap(0, PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    p.store8(b, 1);
    p.store8(z, 1);
    for (let i = 0; i < 16; i++) p.store8(a + i * PAGE, i);
    const kinds = new Set(vm.trace().map((e) => e.kind));
    for (const k of ['tlb-miss', 'fault', 'cow', 'zero-fill', 'eviction', 'writeback']) expect(kinds).toContain(k);
    const ev = vm.trace().find((e) => e.kind === 'cow')!;
    expect(ev).toMatchObject({ pid: p.pid, addr: b });
    const before = vm.counters();
    expect(before.majorFaults).toBe(p.counters().majorFaults);
    p.exit();
    const after = vm.counters();
    expect(after.majorFaults).toBe(before.majorFaults);
    expect(after.anonPages).toBe(0);
    expect(() => p.fork()).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_CLOSED' }));
    const limited = new SimVm({ frames: 8, trace: 2 });
    const q = limited.spawn();
    const c = simCheck(q.mmap(0, 4 * PAGE, RW, PRIVATE | ANONYMOUS, -1, 0), 'mmap');
    for (let i = 0; i < 4; i++) q.store8(c + i * PAGE, 1);
    expect(limited.trace().length).toBe(2);
    expect(limited.droppedEvents).toBeGreaterThan(0);
  });

  it('dropCaches makes the next access a major fault; mapped pages stay', () => {
    const { vm, p } = setup();
    vm.createFile('f', bytes(2 * PAGE));
    const a = mapPath(p, 'f', 2 * PAGE, SimProt.READ, SHARED);
    const fd = p.open('f', SimOpen.RDONLY);
    p.pread(fd, new Uint8Array(2 * PAGE), 2 * PAGE, 0); // both pages cached
    p.load8(a); // page 0 mapped
    expect(vm.dropCaches()).toBe(1);
    const major = p.counters().majorFaults;
    p.load8(a + PAGE);
    expect(p.counters().majorFaults).toBe(major + 1);
  });
});

describe('argument types and bounds', () => {
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };

  it('loads and stores take a number offset and a value of the right type', () => {
    const vm = new SimVm({ frames: 64 });
    const p = vm.spawn();
    const addr = simCheck(p.mmap(0, PAGE, RW, PRIVATE | ANONYMOUS), 'mmap');
    const v = p.view(addr, PAGE);
    expect(codeOf(() => v.load8(1n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => v.load64('8' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => v.store32(0, 4n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => v.store64(0, 4 as unknown as bigint))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => v.read(0, 2 ** 53))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => v.write(0, [1, 2] as unknown as Uint8Array))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => p.store8(addr, {} as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => p.store64(addr, -3.5 as unknown as bigint))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => p.close(Buffer.from('3') as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => p.migrate({} as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => vm.spawn({ cpu: 1n } as unknown as { cpu: number }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => vm.fileBytes(7 as unknown as string))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => new SimSignal('SIGFOO' as 'SIGSEGV', 'OOM', 0, 'read', 1))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => simErrnoName(22n as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => simCheck(-22, {} as unknown as string))).toBe('ERR_INVALID_ARG_TYPE');
    // The valid calls still work.
    v.store64(0, 0x0102030405060708n);
    expect(v.load8(0)).toBe(8);
    expect(p.load32(addr + 4)).toBe(0x01020304);
  });

  it('file sizes are bounded: createFile at most 2^40 bytes, fileBytes copies at most 2^31', () => {
    const vm = new SimVm({ frames: 64 });
    expect(codeOf(() => vm.createFile('/big', 2 ** 41))).toBe('ERR_OUT_OF_RANGE');
    vm.createFile('/sparse', 2 ** 32);
    expect(() => vm.fileBytes('/sparse')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(vm.fileBytes(vm.createFile('/small', 'abc').path)).toEqual(new TextEncoder().encode('abc'));
  });
});

describe('bounded work', () => {
  it('MAP_POPULATE populates at most 2^18 pages per call (best-effort, as on Linux); MADV_WILLNEED reads at most `frames` pages', () => {
    const vm = new SimVm({ frames: 64 });
    const p = vm.spawn();
    const len = 2 ** 31; // 2^19 pages
    const a = simCheck(p.mmap(0, len, SimProt.READ, PRIVATE | ANONYMOUS | POPULATE), 'mmap');
    const vec = new Uint8Array(1);
    simCheck(p.mincore(a + (2 ** 18 - 1) * PAGE, PAGE, vec), 'mincore');
    expect(vec[0]).toBe(1);
    simCheck(p.mincore(a + 2 ** 18 * PAGE, PAGE, vec), 'mincore');
    expect(vec[0]).toBe(0);
    vm.createFile('/big', 2 ** 30);
    const fd = simCheck(p.open('/big'), 'open');
    const f = simCheck(p.mmap(0, 2 ** 30, SimProt.READ, SHARED, fd), 'mmap');
    expect(p.madvise(f, 2 ** 30, SimMadvise.WILLNEED)).toBe(0);
    // 64 pages read ahead into 63 free frames: one eviction, not 2^18 of them.
    expect(vm.counters().evictions).toBe(1);
    expect(vm.counters().pageCachePages).toBe(63);
  });
});

describe('the machinery stays private', () => {
  it('a SimVm carries only its documented fields; processes and mappings still reach the kernel', () => {
    const { vm, p } = setup();
    expect(Object.keys(vm).sort()).toEqual(['device', 'frames', 'hugePageSize', 'pageSize', 'replacement', 'tlbs']);
    for (const name of ['mem', 'pt', 'fKind', 'translate', 'fault', 'cachePage', 'allocFrame', 'emit', 'tTlb']) {
      expect(name in vm, name).toBe(false);
    }
    const a = p.mmap(0, PAGE, RW, PRIVATE | ANONYMOUS);
    p.view(a, PAGE).store32(0, 0xdeadbeef);
    expect(p.load32(a)).toBe(0xdeadbeef);
    expect(vm.counters().zeroFills).toBe(1);
    expect(vm.droppedEvents).toBe(0);
    expect(() => {
      (vm as { droppedEvents: number }).droppedEvents = 5;
    }).toThrow(TypeError);
  });
});
