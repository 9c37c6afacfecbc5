// The kernel's numbers: the addon reads them from the system headers when it is compiled
// (native/binding/constants.cc); lib/constants.ts builds mmapkit's tables from them and keeps
// Linux's generic values as the fallback where there is no addon. Both, and the simulator's own
// table of Linux values, must agree with the headers of this machine.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADVICE, SimMadvise, SimMapFlags, SimMsync, SimOpen, SimProt } from '../lib';
import { binding } from '../lib/native';
import { kernelConstants, LINUX_CONSTANTS } from '../lib/constants';
import { runNode } from './support/helpers';

const ROOT = path.resolve(__dirname, '..');

describe('kernel constants', () => {
  it('the addon exports the headers’ numbers, and each equals the fallback table (Linux x86-64 / generic)', () => {
    const c = binding().constants as Record<string, number>;
    // What a C program compiled on this machine prints for the same names.
    const names = Object.keys(LINUX_CONSTANTS);
    const prog = `#include <fcntl.h>\n#include <sys/mman.h>\n#include <linux/mman.h>\n#include <stdio.h>\nint main(void) {\n${names
      .map((n) => `#ifdef ${n}\n  printf("${n} %ld\\n", (long)(${n}));\n#endif\n`)
      .join('')}  return 0;\n}\n`;
    const out = execFileSync('sh', ['-c', 'd=$(mktemp -d) && cat > "$d/c.c" && cc -D_GNU_SOURCE -o "$d/c" "$d/c.c" && "$d/c"; rm -rf "$d"'], {
      input: prog,
      encoding: 'utf8',
    });
    const fromC = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]),
    );
    expect(Object.keys(fromC).length).toBeGreaterThan(50);
    expect(c).toEqual(fromC);
    for (const [k, v] of Object.entries(c)) expect([k, v]).toEqual([k, LINUX_CONSTANTS[k as keyof typeof LINUX_CONSTANTS]]);
    expect(kernelConstants()).toEqual({ ...LINUX_CONSTANTS, ...c });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('ADVICE is built from them, with its names and values unchanged', () => {
    expect({ ...ADVICE }).toEqual({
      normal: 0,
      random: 1,
      sequential: 2,
      willneed: 3,
      dontneed: 4,
      free: 8,
      remove: 9,
      dontfork: 10,
      dofork: 11,
      mergeable: 12,
      unmergeable: 13,
      hugepage: 14,
      nohugepage: 15,
      dontdump: 16,
      dodump: 17,
      wipeonfork: 18,
      keeponfork: 19,
      cold: 20,
      pageout: 21,
      populate_read: 22,
      populate_write: 23,
      collapse: 25,
    });
    for (const [name, v] of Object.entries(ADVICE))
      expect([name, v]).toEqual([name, kernelConstants()[`MADV_${name.toUpperCase()}` as keyof typeof LINUX_CONSTANTS]]);
  });

  it("the simulator's Linux values agree with the headers", () => {
    const k = kernelConstants();
    expect(SimProt).toEqual({ NONE: k.PROT_NONE, READ: k.PROT_READ, WRITE: k.PROT_WRITE, EXEC: k.PROT_EXEC });
    expect(SimMsync).toEqual({ ASYNC: k.MS_ASYNC, INVALIDATE: k.MS_INVALIDATE, SYNC: k.MS_SYNC });
    expect(SimMadvise).toEqual({
      NORMAL: k.MADV_NORMAL,
      RANDOM: k.MADV_RANDOM,
      SEQUENTIAL: k.MADV_SEQUENTIAL,
      WILLNEED: k.MADV_WILLNEED,
      DONTNEED: k.MADV_DONTNEED,
    });
    expect(SimMapFlags).toEqual({
      SHARED: k.MAP_SHARED,
      PRIVATE: k.MAP_PRIVATE,
      SHARED_VALIDATE: k.MAP_SHARED_VALIDATE,
      FIXED: k.MAP_FIXED,
      ANONYMOUS: k.MAP_ANONYMOUS,
      NORESERVE: k.MAP_NORESERVE,
      POPULATE: k.MAP_POPULATE,
      HUGETLB: k.MAP_HUGETLB,
      FIXED_NOREPLACE: k.MAP_FIXED_NOREPLACE,
    });
    expect(SimOpen).toEqual({ RDONLY: k.O_RDONLY, WRONLY: k.O_WRONLY, RDWR: k.O_RDWR, CREAT: k.O_CREAT, EXCL: k.O_EXCL, TRUNC: k.O_TRUNC, APPEND: 0x400 });
  });

  it('without the addon the fallback table stands in (ADVICE keeps its values)', () => {
    const r = runNode(
      `
      const { kernelConstants, LINUX_CONSTANTS } = require(${JSON.stringify(path.join(ROOT, 'dist', 'constants.js'))});
      console.log(JSON.stringify({ normal: mk.ADVICE.normal, collapse: mk.ADVICE.collapse, same: kernelConstants() === LINUX_CONSTANTS, available: mk.addonAvailable() }));
    `,
      { env: { MMAPKIT_NO_ADDON: '1' } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ normal: 0, collapse: 25, same: true, available: false });
  });
});
