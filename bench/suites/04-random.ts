import * as fs from 'node:fs';
import { mapFile, randomOffsets, scanRandomRead32 } from 'mmapkit';
import { ensureWarm } from '../data';
import type { Suite } from '../types';

export const suite: Suite = {
  name: 'random',
  title: '4. Random access: 4-byte reads at random offsets of a large warm file, mapping vs pread',
  async run(ctx) {
    const file = ctx.csvPath;
    const size = fs.statSync(file).size;
    const n = ctx.quick ? 2000 : 1_000_000;
    const nPread = ctx.quick ? 2000 : 200_000;
    ensureWarm(file);
    const offs = randomOffsets(size, n, 7);
    const m = mapFile(file, { advice: 'random' });
    const fd = fs.openSync(file, 'r');
    const four = Buffer.alloc(4);
    const viaMapJs = (count: number): number => {
      const b = m.buffer;
      let s = 0;
      for (let k = 0; k < count; k++) s += b.readUInt32LE(offs[k]);
      return s;
    };
    const viaPread = (count: number): number => {
      let s = 0;
      for (let k = 0; k < count; k++) {
        fs.readSync(fd, four, 0, 4, offs[k]);
        s += four.readUInt32LE(0);
      }
      return s;
    };
    try {
      ctx.check(
        'same values via the mapping (JS), the mapping (native) and pread',
        viaMapJs(nPread) === viaPread(nPread) && viaMapJs(n) === scanRandomRead32(m.buffer, n, 7),
      );
      await ctx.measure([
        { name: `pread() 4 bytes (fs.readSync), ${nPread} reads`, group: 'random 4-byte reads', ops: nPread, fn: () => viaPread(nPread), baseline: true },
        { name: `mapping, JS buf.readUInt32LE, ${n} reads`, group: 'random 4-byte reads', ops: n, fn: () => viaMapJs(n) },
        { name: `mapping, native loop, ${n} reads`, group: 'random 4-byte reads', ops: n, fn: () => scanRandomRead32(m.buffer, n, 7) },
      ]);
    } finally {
      fs.closeSync(fd);
      m.unmap();
    }
  },
};
