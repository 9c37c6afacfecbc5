// Real processes sharing real files: the seed's MAP_PRIVATE / MAP_SHARED exercise, durability
// after SIGKILL, and leak checks over many map/unmap cycles.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode, tempDir } from './support/helpers';

const dir = tempDir();

describe('mappings across processes', () => {
  it("the seed's exercise: A writes p[1] = 0x78 privately, B (shared) reads 41 42 43 0A, the file is unchanged", () => {
    const p = path.join(dir, 'abc.txt');
    fs.writeFileSync(p, Buffer.concat([Buffer.from('ABC\n'), Buffer.alloc(4092, 0x2e)]));
    // A maps MAP_PRIVATE, writes, and stays alive while B looks.
    const a = runNode(
      `
      const { spawnSync } = require('child_process');
      const m = mk.mapFile(process.argv[1], { mode: 'private' });
      m.store8(1, 0x78);
      const b = spawnSync(process.execPath, ['-e', 'const mk = require(' + JSON.stringify(process.argv[2]) + '); const m = mk.mapFile(process.argv[1], { mode: "readwrite" }); process.stdout.write(JSON.stringify([...m.read(0, 4)]));', process.argv[1]], { encoding: 'utf8' });
      if (b.status !== 0) { process.stderr.write('B failed: ' + b.stderr); process.exit(1); }
      console.log(JSON.stringify({ a: [...m.read(0, 4)], b: JSON.parse(b.stdout) }));
    `,
      { args: [p, ROOT] },
    );
    expect(a.status, a.stderr).toBe(0);
    const out = JSON.parse(a.stdout);
    expect(out.a).toEqual([0x41, 0x78, 0x43, 0x0a]);
    expect(out.b).toEqual([0x41, 0x42, 0x43, 0x0a]);
    expect([...fs.readFileSync(p).subarray(0, 4)]).toEqual([0x41, 0x42, 0x43, 0x0a]);
  });

  it('a write through a shared map plus sync reaches the file and a third process', () => {
    const p = path.join(dir, 'shared.txt');
    fs.writeFileSync(p, Buffer.concat([Buffer.from('ABC\n'), Buffer.alloc(4092)]));
    const w = runNode(`const m = mk.mapFile(process.argv[1], { mode: 'readwrite' }); m.store8(1, 0x78); m.sync(); m.unmap();`, { args: [p] });
    expect(w.status).toBe(0);
    expect(fs.readFileSync(p).subarray(0, 4).toString()).toBe('AxC\n');
    const third = runNode(`const m = mk.mapFile(process.argv[1]); process.stdout.write(m.read(0, 4).toString());`, { args: [p] });
    expect(third.stdout).toBe('AxC\n');
  });

  it('durability: every byte synced before SIGKILL is in the file', async () => {
    const p = path.join(dir, 'durable.bin');
    const size = 64 * 4096;
    fs.writeFileSync(p, Buffer.alloc(size));
    // Each round writes its number into every 32-bit word, syncs, then reports the round. Rounds
    // only grow, so after the kill every word must hold at least the last reported round (a later
    // round may have been cut short by the kill, which is fine).
    const child = spawn(
      process.execPath,
      [
        '-e',
        `
      const mk = require(${JSON.stringify(ROOT)});
      const m = mk.mapFile(process.argv[1], { mode: 'readwrite' });
      const words = new Uint32Array(m.buffer.buffer, m.buffer.byteOffset, m.length / 4);
      let round = 0;
      const step = () => {
        round++;
        words.fill(round);
        m.sync();
        process.stdout.write(round + '\\n');
        setImmediate(step);
      };
      step();
    `,
        p,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let last = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const rounds = d.toString().trim().split('\n').map(Number);
        last = Math.max(last, rounds[rounds.length - 1]);
        if (last >= 20 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    const data = fs.readFileSync(p);
    const words = new Uint32Array(data.buffer, data.byteOffset, size / 4);
    expect(last).toBeGreaterThanOrEqual(20);
    expect(words.every((w) => w >= last)).toBe(true);
  });

  // MMAPKIT_LEAK_CYCLES sets the measured map/unmap cycles (default 100 000; the soak run prints the figures).
  const leakCycles = Number(process.env.MMAPKIT_LEAK_CYCLES ?? 100_000);
  it(`${leakCycles.toLocaleString('en-US').replace(/,/g, ' ')} map/unmap cycles (after 140 000 to warm up) leave /proc/self/maps and RSS flat`, () => {
    const p = path.join(dir, 'leak.bin');
    fs.writeFileSync(p, Buffer.alloc(8192, 1));
    const r = runNode(
      `
      const fs = require('fs');
      // The map areas a leak of these mappings would add: the file's own, and areas of at most two
      // pages (a retired range's placeholder, an anonymous mapping). V8's heap grows in 256 KiB
      // pages of its own while it warms up; those are not counted.
      const maps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => {
        if (l.includes(process.argv[1])) return true;
        // AddressSanitizer maps small areas of its own as it allocates: under it, the file's only.
        if (process.env.MMAPKIT_SANITIZERS) return false;
        const [a, b] = l.split(' ')[0].split('-').map((x) => parseInt(x, 16));
        return b - a <= 8192;
      }).length;
      const rss = () => process.memoryUsage().rss;
      const cycle = (n) => { for (let i = 0; i < n; i++) { const m = mk.mapFile(process.argv[1]); const b = m.buffer; if (b[0] !== 1) throw new Error('bad'); m.unmap(); const a = mk.mapAnonymous(4096); a.store8(0, 1); a.unmap(); } };
      // Finalizers run on later turns of the event loop: measure after a turn, like a real program.
      const settle = () => new Promise((r) => setTimeout(() => { global.gc(); setTimeout(r, 20); }, 20));
      (async () => {
        for (let i = 0; i < 7; i++) { cycle(10000); await settle(); }
        const before = { maps: maps(), rss: rss() };
        for (let i = 0; i < ${Math.max(1, Math.round(leakCycles / 20000))}; i++) { cycle(10000); await settle(); }
        const after = { maps: maps(), rss: rss() };
        console.log(JSON.stringify({ before, after }));
      })();
    `,
      { args: [p], nodeArgs: ['--expose-gc'], timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const { before, after } = JSON.parse(r.stdout);
    console.log(
      `map/unmap leak check: ${leakCycles} cycles, /proc/self/maps ${before.maps} -> ${after.maps} lines, RSS ${(before.rss / 2 ** 20).toFixed(1)} -> ${(after.rss / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(after.maps - before.maps).toBeLessThan(10);
    // AddressSanitizer keeps freed memory in quarantine, so RSS says nothing under it.
    if (!process.env.MMAPKIT_SANITIZERS) expect(after.rss - before.rss).toBeLessThan(8 * 1024 * 1024);
  });
});
