// fork() on the simulator against fork() on the kernel: a small C program and the simulator run the
// same steps on private and shared, anonymous and file mappings, in a parent and a forked child;
// every byte each of them reads must be the same.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimMapFlags, SimOpen, SimProt, SimVm, simCheck } from '../lib';
import { tempDir } from './support/helpers';

const dir = tempDir('mmapkit-simfork-');
const FILE = Buffer.from('ABC\nDEF\n'.repeat(1024)); // 8 KiB

// Reads are printed as numbers, in order: the child's (through a pipe), then the parent's.
const C_SOURCE = String.raw`
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  (void)argc;
  int fd = open(argv[1], O_RDWR);
  int rw = PROT_READ | PROT_WRITE;
  volatile unsigned char *R = mmap(NULL, 2 * 4096, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile unsigned char *M = mmap(NULL, 4096, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  volatile unsigned char *F = mmap(NULL, 2 * 4096, rw, MAP_PRIVATE, fd, 0);
  volatile unsigned char *G = mmap(NULL, 2 * 4096, rw, MAP_SHARED, fd, 0);
  if (R == MAP_FAILED || M == MAP_FAILED || F == MAP_FAILED || G == MAP_FAILED) return 2;
  R[0] = 'A';
  M[0] = 1;
  F[1] = 'x';
  (void)F[4096];
  int p[2];
  if (pipe(p) != 0) return 3;
  pid_t pid = fork();
  if (pid == 0) {
    unsigned char out[16];
    int n = 0;
    out[n++] = R[0]; out[n++] = R[4096]; R[0] = 'B'; R[4096] = 'C'; out[n++] = R[0];
    out[n++] = M[0]; M[0] = 2;
    out[n++] = F[1]; out[n++] = F[2]; F[2] = 'y'; out[n++] = F[2]; out[n++] = F[4096];
    G[3] = 'z'; out[n++] = G[3];
    munmap((void *)R, 2 * 4096);
    if (write(p[1], out, n) != n) _exit(4);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  unsigned char child[16];
  int n = read(p[0], child, sizeof child);
  for (int i = 0; i < n; i++) printf("%d ", child[i]);
  printf("| %d %d %d %d %d %d %d %d\n", R[0], R[4096], M[0], F[1], F[2], F[3], G[3], G[2]);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
`;

function kernel(): string | null {
  const src = path.join(dir, 'fork.c');
  const exe = path.join(dir, 'fork');
  fs.writeFileSync(src, C_SOURCE);
  const cc = spawnSync('cc', ['-O1', '-Wall', '-o', exe, src], { encoding: 'utf8' });
  if (cc.status !== 0) return null;
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, FILE);
  const r = spawnSync(exe, [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

function simulator(): { line: string; childCow: number; parentCow: number } {
  const vm = new SimVm({ frames: 64 });
  vm.createFile('f', FILE);
  const P = vm.spawn();
  const fd = simCheck(P.open('f', SimOpen.RDWR), 'open');
  const rw = SimProt.READ | SimProt.WRITE;
  const R = simCheck(P.mmap(0, 2 * 4096, rw, SimMapFlags.PRIVATE | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
  const M = simCheck(P.mmap(0, 4096, rw, SimMapFlags.SHARED | SimMapFlags.ANONYMOUS, -1, 0), 'mmap');
  const F = simCheck(P.mmap(0, 2 * 4096, rw, SimMapFlags.PRIVATE, fd, 0), 'mmap');
  const G = simCheck(P.mmap(0, 2 * 4096, rw, SimMapFlags.SHARED, fd, 0), 'mmap');
  const c = (s: string): number => s.charCodeAt(0);
  P.store8(R, c('A'));
  P.store8(M, 1);
  P.store8(F + 1, c('x'));
  P.load8(F + 4096);
  const C = P.fork();
  const out: number[] = [];
  out.push(C.load8(R), C.load8(R + 4096));
  C.store8(R, c('B'));
  C.store8(R + 4096, c('C'));
  out.push(C.load8(R), C.load8(M));
  C.store8(M, 2);
  out.push(C.load8(F + 1), C.load8(F + 2));
  C.store8(F + 2, c('y'));
  out.push(C.load8(F + 2), C.load8(F + 4096));
  C.store8(G + 3, c('z'));
  out.push(C.load8(G + 3));
  simCheck(C.munmap(R, 2 * 4096), 'munmap');
  const childCow = C.counters().cowCopies;
  C.exit();
  const parent = [P.load8(R), P.load8(R + 4096), P.load8(M), P.load8(F + 1), P.load8(F + 2), P.load8(F + 3), P.load8(G + 3), P.load8(G + 2)];
  return { line: `${out.join(' ')} | ${parent.join(' ')}`, childCow, parentCow: P.counters().cowCopies };
}

describe('fork against the kernel', () => {
  const k = kernel();
  it.skipIf(k === null)('reads the same bytes in parent and child as a real fork', () => {
    const s = simulator();
    // A: the child sees the parent's copy, then writes its own; the parent keeps 'A' and 0.
    // M: shared anonymous memory stays shared. F: the child inherits the parent's private copy of
    // page 0 and copies again to write; page 1 still comes from the file. G: shared with the file.
    expect(k).toBe('65 0 66 1 120 67 121 65 122 | 65 0 2 120 67 10 122 67');
    expect(s.line).toBe(k);
    // The child copied R page 0 (shared with the parent since fork) and F page 0; R page 1 was the
    // zero page, so its first write was a zero-fill, not a copy.
    expect(s.childCow).toBe(2);
    expect(s.parentCow).toBe(1); // F[1] = 'x' before the fork
  });
});
