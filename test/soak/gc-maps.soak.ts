// 1 000 000 small mappings that are never unmapped, released only by garbage collection, in a child
// process each way (so a crash is a signal there, not the end of the runner):
//
// - in a loop that lets the event loop turn every 1 000 maps (as a server does between requests):
//   every map must succeed, the finalizers reclaiming the old ones, and the process's map areas and
//   RSS stay bounded;
// - in one synchronous loop (the event loop never turns, so no finalizer can run): a map may fail,
//   but only with ERR_MMAPKIT_TOO_MANY_MAPPINGS, never a crash or another error, and mapping works
//   again after one turn of the event loop.
//
// Half the maps are anonymous (4 KiB), half map a 4 KiB file by descriptor; each is touched once.
// MMAPKIT_SOAK_GC_MAPS sets the number of maps per loop (default 1 000 000).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode, tempDir } from '../support/helpers';
import { report } from './report';

const MAPS = Number(process.env.MMAPKIT_SOAK_GC_MAPS ?? 1_000_000);
const dir = tempDir('mmapkit-soak-gc-');
const file = path.join(dir, 'small.bin');
fs.writeFileSync(file, Buffer.alloc(4096, 3));

const prelude = `
  const fs = require('fs');
  const fd = fs.openSync(${JSON.stringify(file)}, 'r');
  const N = ${MAPS};
  const areas = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
  const one = (i) => { const m = i & 1 ? mk.mapFile(fd) : mk.mapAnonymous(4096); if (i & 1) { if (m.buffer[0] !== 3) throw new Error('bad byte'); } else m.store8(0, 1); };
`;

function childOutcome(r: { status: number | null; signal: string | null; stdout: string; stderr: string }): string {
  return r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
}

describe('soak: mappings released only by garbage collection', () => {
  it(`${MAPS} maps with no unmap, the event loop turning every 1 000: all succeed, map areas and RSS bounded`, () => {
    const r = runNode(
      `${prelude}
      let made = 0, maxAreas = 0, maxRss = 0;
      const codes = {};
      const t0 = process.hrtime.bigint();
      (async () => {
        for (let i = 0; i < N; i += 1000) {
          for (let j = i; j < Math.min(N, i + 1000); j++) {
            try { one(j); made++; } catch (e) { const c = typeof e.code === 'string' ? e.code : 'no code: ' + e.message; codes[c] = (codes[c] ?? 0) + 1; }
          }
          await new Promise((r) => setImmediate(r));
          if (i % 50000 === 0) { maxAreas = Math.max(maxAreas, areas()); maxRss = Math.max(maxRss, process.memoryUsage().rss); }
        }
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        console.log(JSON.stringify({ made, codes, s, maxAreas, maxRss, areasEnd: areas() }));
      })();
    `,
      { timeout: 600_000 },
    );
    expect(r.status, `${childOutcome(r)}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    const maxMapCount = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    report(
      `soak: ${out.made} of ${MAPS} maps released only by GC (event loop turning every 1 000): all succeeded by reclamation, at most ${out.maxAreas} map areas and ${(out.maxRss / 2 ** 20).toFixed(0)} MiB RSS, ${Math.round(out.made / out.s)} maps/s (${out.s.toFixed(0)} s)`,
      Object.keys(out.codes).length ? `  errors: ${JSON.stringify(out.codes)}` : '',
    );
    expect(out.codes).toEqual({});
    expect(out.made).toBe(MAPS);
    expect(out.maxAreas).toBeLessThan(maxMapCount / 2);
    expect(out.maxRss).toBeLessThan(1024 * 2 ** 20);
  }, 3_600_000);

  it(`${MAPS} maps with no unmap in one synchronous loop: only ERR_MMAPKIT_TOO_MANY_MAPPINGS, then mapping works again`, () => {
    const r = runNode(
      `${prelude}
      let made = 0, firstError = -1;
      const codes = {};
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) {
        try { one(i); made++; } catch (e) { if (firstError < 0) firstError = i; const c = typeof e.code === 'string' ? e.code : 'no code: ' + e.message; codes[c] = (codes[c] ?? 0) + 1; }
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const peakAreas = areas();
      setImmediate(() => { global.gc(); setImmediate(() => {
        let after;
        try { one(1); one(2); after = 'ok'; } catch (e) { after = e.code ?? e.message; }
        console.log(JSON.stringify({ made, firstError, codes, s, peakAreas, after }));
      }); });
    `,
      { nodeArgs: ['--expose-gc'], timeout: 600_000 },
    );
    expect(r.status, `${childOutcome(r)}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    const maxMapCount = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    const refused = MAPS - out.made;
    report(
      `soak: ${MAPS} maps released only by GC in one synchronous loop: ${out.made} succeeded, ${refused} refused with ${Object.keys(out.codes).join(', ') || 'no error'} (first at map ${out.firstError}, max_map_count ${maxMapCount}), mapping after one event-loop turn: ${out.after}, ${Math.round(MAPS / out.s)} attempts/s (${out.s.toFixed(0)} s)`,
    );
    // Without a turn of the event loop nothing is reclaimed: the limit must stop the loop with the
    // coded error (never an abort), below the kernel's limit, and only that error.
    expect(
      Object.keys(out.codes).every((c) => c === 'ERR_MMAPKIT_TOO_MANY_MAPPINGS'),
      JSON.stringify(out.codes),
    ).toBe(true);
    expect(out.peakAreas).toBeLessThan(maxMapCount);
    expect(out.after).toBe('ok');
  }, 3_600_000);
});
