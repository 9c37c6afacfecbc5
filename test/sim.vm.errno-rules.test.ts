// The simulator's argument rules and signals checked against the real kernel: each line below (one
// or more calls) runs in a small C program on a fresh setup and on the simulator; each result —
// success, the errno name, or the signal a load or store raised — must be the same.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimMapFlags, SimOpen, SimProt, SimSignal, SimVm, simCheck, simErrnoName, type SimProcess } from '../lib';
import { tempDir } from './support/helpers';

const dir = tempDir('mmapkit-simerrno-');

// Every call starts from: fds rw, ro, wo on a file of 2 pages + 100 bytes; R = 16 anonymous
// read/write private pages with the last 4 unmapped again (a hole); S = one shared read-only page
// of the file through the read-only fd. R+N and S+N are addresses.
const CASES = [
  // mmap
  'mmap 0 4096 1 0x02 rw 100', // unaligned offset
  'mmap 0 0 1 0x02 rw 0', // zero length
  'mmap 0 4096 1 0x02 99 0', // bad fd
  'mmap 0 4096 1 0x00 rw 0', // neither shared nor private
  'mmap 0 4096 3 0x01 ro 0', // writable shared on a read-only fd
  'mmap 0 4096 1 0x01 wo 0', // write-only fd
  'mmap 0 4096 1 0x02 wo 0',
  'mmap 0 4096 3 0x02 ro 0', // writable private on a read-only fd: fine
  'mmap 0 4096 1 0x01 ro 0',
  'mmap 0 4096 1 0x01 rw 0x10000000000', // far past EOF: allowed
  'mmap 0 4096 0x10 0x02 rw 0', // unknown prot bits are ignored
  'mmap 0 4096 1 0x22 -1 1', // anonymous, unaligned offset
  'mmap 0 4096 3 0x21 -1 0', // shared anonymous
  'mmap 0 -1 1 0x22 -1 0', // huge length
  'mmap 0 0x800000000000 1 0x22 -1 0', // larger than the address space
  'mmap R+1 4096 1 0x32 -1 0', // MAP_FIXED unaligned
  'mmap R+4096 4096 1 0x32 -1 0', // MAP_FIXED over R
  'mmap R+4096 4096 1 0x100022 -1 0', // MAP_FIXED_NOREPLACE over R
  'mmap R+49152 4096 1 0x100022 -1 0', // MAP_FIXED_NOREPLACE into the hole
  'mmap 0 4096 1 0x40002 rw 0', // MAP_HUGETLB on a regular file
  'mmap 0 4096 1 0x8002 rw 0', // MAP_POPULATE
  // munmap
  'munmap R+1 4096',
  'munmap R+0 0',
  'munmap R+4096 4096',
  'munmap R+49152 8192', // the hole: fine
  'munmap R+0 -1',
  // mprotect
  'mprotect R+1 4096 1',
  'mprotect R+0 0 1',
  'mprotect R+0 4096 1',
  'mprotect R+0 4096 0x100',
  'mprotect R+0 4096 8', // PROT_SEM
  'mprotect R+0 65536 1', // runs into the hole
  'mprotect R+49152 4096 1', // wholly unmapped
  'mprotect S+0 4096 3', // PROT_WRITE on a shared mapping of a read-only fd
  'mprotect S+0 4096 0',
  'mprotect R+0 -4096 1',
  // msync
  'msync R+1 4096 4',
  'msync R+0 4096 5', // MS_SYNC | MS_ASYNC
  'msync R+0 4096 8', // unknown flag
  'msync R+0 4096 4',
  'msync R+0 4096 1',
  'msync R+0 4096 2',
  'msync R+0 0 4',
  'msync R+0 65536 4', // runs into the hole
  'msync R+49152 4096 4',
  'msync S+0 4096 4',
  // madvise
  'madvise R+1 4096 4',
  'madvise R+0 4096 999',
  'madvise R+0 4096 4',
  'madvise R+0 4096 3',
  'madvise R+0 4096 0',
  'madvise R+0 4096 1',
  'madvise R+0 4096 2',
  'madvise R+0 0 4',
  'madvise R+0 65536 4', // runs into the hole
  'madvise S+0 4096 3',
  'madvise S+0 4096 4',
  // mincore
  'mincore R+1 4096',
  'mincore R+0 4096',
  'mincore R+0 65536',
  'mincore S+0 4096',
  // files
  'ftruncate ro 0',
  'ftruncate rw -1',
  'ftruncate 99 0',
  'ftruncate rw 100',
  'ftruncate wo 100',
  'pread rw 1 -1',
  'pread wo 1 0',
  'pread rw 16 0',
  'pwrite ro 1 0',
  'pwrite rw 1 -1',
  'pwrite rw 16 5',
  // faults: F = 4 private pages of the file, G = 4 shared pages (the file has 2 pages + 100 bytes)
  'load R+0',
  'load R+49152', // the hole
  'store S+0', // read-only mapping
  'mprotect R+0 4096 0;load R+0',
  'mprotect R+0 4096 1;store R+0;load R+0',
  'mprotect R+0 4096 2;load R+0', // write implies read on x86
  'mprotect R+0 4096 0;mprotect R+0 4096 3;store R+0',
  'munmap R+4096 4096;load R+4096;load R+8192',
  'madvise R+0 4096 4;load R+0',
  'load F+8192;load F+8291;load F+8292;load F+12287', // the partial last page
  'load F+12288;store F+12288;load G+12288', // wholly past EOF
  'store F+8300;store G+100;load G+100',
  'ftruncate rw 100;load G+4096;load F+4096;load G+0',
  'store F+4096;ftruncate rw 4096;load F+4096', // private copies go too
  'ftruncate rw 20000;load G+16383;load F+12288',
  'pwrite rw 16 12000;load G+12288',
];

const C_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static sigjmp_buf jb;
static void on_signal(int sig) { siglongjmp(jb, sig); }
int main(int argc, char **argv) {
  char line[512];
  (void)argc;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  while (fgets(line, sizeof line, stdin)) {
    int fdrw = open(argv[1], O_RDWR), fdro = open(argv[1], O_RDONLY), fdwo = open(argv[1], O_WRONLY);
    if (fdrw < 0 || fdro < 0 || fdwo < 0 || ftruncate(fdrw, 2 * 4096 + 100) != 0) return 2;
    char *R = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(R + 12 * 4096, 4 * 4096);
    char *S = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fdro, 0);
    char *F = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fdrw, 0);
    char *G = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fdrw, 0);
    line[strcspn(line, "\n")] = 0;
    char *calls[8];
    int ncalls = 0;
    for (char *c = strtok(line, ";"); c && ncalls < 8; c = strtok(NULL, ";")) calls[ncalls++] = c;
    for (int k = 0; k < ncalls; k++) {
      char name[32], tok[6][64];
      long long v[6] = {0};
      int n = sscanf(calls[k], "%31s %63s %63s %63s %63s %63s %63s", name, tok[0], tok[1], tok[2], tok[3], tok[4], tok[5]);
      for (int i = 0; i < n - 1; i++) {
        const char *t = tok[i];
        char *base = NULL;
        if (t[1] == '+') base = t[0] == 'R' ? R : t[0] == 'S' ? S : t[0] == 'F' ? F : t[0] == 'G' ? G : NULL;
        if (base) v[i] = (long long)(intptr_t)base + strtoll(t + 2, NULL, 0);
        else if (!strcmp(t, "rw")) v[i] = fdrw;
        else if (!strcmp(t, "ro")) v[i] = fdro;
        else if (!strcmp(t, "wo")) v[i] = fdwo;
        else v[i] = strtoll(t, NULL, 0);
      }
      long long r = 0;
      unsigned char vec[64];
      char buf[16] = {0};
      const char *out = NULL;
      errno = 0;
      if (!strcmp(name, "mmap")) {
        void *p = mmap((void *)(intptr_t)v[0], (size_t)v[1], (int)v[2], (int)v[3], (int)v[4], (off_t)v[5]);
        r = p == MAP_FAILED ? -1 : 0;
        if (p != MAP_FAILED && (char *)p != R + 4096) munmap(p, (size_t)v[1]);
      } else if (!strcmp(name, "munmap")) r = munmap((void *)(intptr_t)v[0], (size_t)v[1]);
      else if (!strcmp(name, "mprotect")) r = mprotect((void *)(intptr_t)v[0], (size_t)v[1], (int)v[2]);
      else if (!strcmp(name, "msync")) r = msync((void *)(intptr_t)v[0], (size_t)v[1], (int)v[2]);
      else if (!strcmp(name, "madvise")) r = madvise((void *)(intptr_t)v[0], (size_t)v[1], (int)v[2]);
      else if (!strcmp(name, "mincore")) r = mincore((void *)(intptr_t)v[0], (size_t)v[1], vec);
      else if (!strcmp(name, "ftruncate")) r = ftruncate((int)v[0], (off_t)v[1]);
      else if (!strcmp(name, "pread")) r = pread((int)v[0], buf, (size_t)v[1], (off_t)v[2]);
      else if (!strcmp(name, "pwrite")) r = pwrite((int)v[0], buf, (size_t)v[1], (off_t)v[2]);
      else if (!strcmp(name, "load") || !strcmp(name, "store")) {
        volatile char *a = (volatile char *)(intptr_t)v[0];
        int sig = sigsetjmp(jb, 1);
        if (sig == 0) {
          if (name[0] == 'l') (void)*a; else *a = 1;
          out = "ok";
        } else {
          out = sig == SIGSEGV ? "SIGSEGV" : "SIGBUS";
        }
      } else return 3;
      if (!out) out = r < 0 ? strerrorname_np(errno) : "ok";
      printf("%s%s", k ? "," : "", out);
    }
    printf("\n");
    fflush(stdout);
    munmap(R, 16 * 4096);
    munmap(S, 4096);
    munmap(F, 4 * 4096);
    munmap(G, 4 * 4096);
    close(fdrw); close(fdro); close(fdwo);
  }
  return 0;
}
`;

function kernelResults(): string[] | string {
  const src = path.join(dir, 'rules.c');
  const exe = path.join(dir, 'rules');
  fs.writeFileSync(src, C_SOURCE);
  const cc = spawnSync('cc', ['-O1', '-Wall', '-o', exe, src], { encoding: 'utf8' });
  if (cc.status !== 0) return `cannot compile the probe: ${cc.error?.message ?? cc.stderr}`;
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, Buffer.alloc(10));
  const run = spawnSync(exe, [file], { input: CASES.join('\n') + '\n', encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`probe failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim().split('\n');
}

function simResult(line: string): string {
  const vm = new SimVm({ frames: 64 });
  vm.createFile('f', 2 * 4096 + 100);
  const p: SimProcess = vm.spawn();
  const fds: Record<string, number> = { rw: p.open('f', SimOpen.RDWR), ro: p.open('f', SimOpen.RDONLY), wo: p.open('f', SimOpen.WRONLY) };
  const rw = SimProt.READ | SimProt.WRITE;
  const R = simCheck(p.mmap(0, 16 * 4096, rw, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
  simCheck(p.munmap(R + 12 * 4096, 4 * 4096), 'munmap');
  const bases: Record<string, number> = {
    R,
    S: simCheck(p.mmap(0, 4096, SimProt.READ, SimMapFlags.SHARED, fds.ro, 0), 'mmap'),
    F: simCheck(p.mmap(0, 4 * 4096, rw, SimMapFlags.PRIVATE, fds.rw, 0), 'mmap'),
    G: simCheck(p.mmap(0, 4 * 4096, rw, SimMapFlags.SHARED, fds.rw, 0), 'mmap'),
  };
  return line
    .split(';')
    .map((call) => {
      const [name, ...toks] = call.trim().split(' ');
      const v = toks.map((t) => {
        if (t[1] === '+' && t[0] in bases) return bases[t[0]] + Number(t.slice(2));
        if (t in fds) return fds[t];
        return Number(t);
      });
      const buf = new Uint8Array(16);
      let r: number;
      switch (name) {
        case 'mmap':
          r = p.mmap(v[0], v[1], v[2], v[3], v[4], v[5]);
          break;
        case 'munmap':
          r = p.munmap(v[0], v[1]);
          break;
        case 'mprotect':
          r = p.mprotect(v[0], v[1], v[2]);
          break;
        case 'msync':
          r = p.msync(v[0], v[1], v[2]);
          break;
        case 'madvise':
          r = p.madvise(v[0], v[1], v[2]);
          break;
        case 'mincore':
          r = p.mincore(v[0], v[1], new Uint8Array(64));
          break;
        case 'ftruncate':
          r = p.ftruncate(v[0], v[1]);
          break;
        case 'pread':
          r = p.pread(v[0], buf, v[1], v[2]);
          break;
        case 'pwrite':
          r = p.pwrite(v[0], buf, v[1], v[2]);
          break;
        case 'load':
        case 'store':
          try {
            if (name === 'load') p.load8(v[0]);
            else p.store8(v[0], 1);
            return 'ok';
          } catch (err) {
            if (err instanceof SimSignal) return err.code;
            throw err;
          }
        default:
          throw new Error(`unknown call ${name}`);
      }
      return r < 0 ? simErrnoName(r) : 'ok';
    })
    .join(',');
}

describe('argument rules against the real kernel', () => {
  const kernel = kernelResults();
  it.skipIf(typeof kernel === 'string')(`gives the kernel's result for ${CASES.length} lines of calls`, () => {
    const k = kernel as string[];
    expect(k.length).toBe(CASES.length);
    const table = CASES.map((c, i) => `${c.padEnd(40)} kernel ${k[i].padEnd(8)} simulator ${simResult(c)}`);
    const diff = table.filter((_row, i) => k[i] !== simResult(CASES[i]));
    expect(diff).toEqual([]);
    // The probe did check something: a spread of outcomes.
    expect(new Set(k.flatMap((r) => r.split(',')))).toEqual(new Set(['ok', 'EINVAL', 'EBADF', 'EACCES', 'ENOMEM', 'EEXIST', 'SIGSEGV', 'SIGBUS']));
  });
});
