// The benchmark's charts, rendered by a real SVG renderer (librsvg's rsvg-convert): no text may
// extend beyond the chart's viewBox. Each chart is rendered on a canvas with a wide transparent
// margin and without its white background; any ink in the margin is text (or a bar) outside.
// The terminal table is checked against the width it is given.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headlineChart, headlineRows, suiteChart, textWidth, wrapText } from '../bench/charts';
import { terminalTable, type RunReport } from '../bench/report';
import type { ResultRow } from '../bench/types';
import { decodePng } from './support/png';
import { tempDir } from './support/helpers';

const RSVG = ['/usr/bin/rsvg-convert'].find((f) => fs.existsSync(f));
const MARGIN = 200;

/** Pixels with ink outside the chart's own area, after rendering it with a margin around it. */
function inkOutside(svg: string): { outside: number; inside: number; width: number; height: number } {
  const m = /<svg [^>]*width="([\d.]+)" height="([\d.]+)" viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  if (!m) throw new Error('chart has no width/height/viewBox');
  const [w, h] = [Number(m[3]), Number(m[4])];
  const widened = svg
    .replace(
      m[0],
      m[0].replace(
        `width="${m[1]}" height="${m[2]}" viewBox="0 0 ${m[3]} ${m[4]}"`,
        `width="${w + 2 * MARGIN}" height="${h + 2 * MARGIN}" viewBox="${-MARGIN} ${-MARGIN} ${w + 2 * MARGIN} ${h + 2 * MARGIN}"`,
      ),
    )
    .replace('<rect width="100%" height="100%" fill="white"/>', '');
  const dir = tempDir('mmapkit-chart-');
  fs.writeFileSync(path.join(dir, 'c.svg'), widened);
  const r = spawnSync(RSVG!, ['-o', path.join(dir, 'c.png'), path.join(dir, 'c.svg')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rsvg-convert failed: ${r.stderr}`);
  const png = decodePng(fs.readFileSync(path.join(dir, 'c.png')));
  let outside = 0;
  let inside = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      if (png.data[(y * png.width + x) * 4 + 3] < 16) continue;
      if (x < MARGIN || x >= MARGIN + w || y < MARGIN || y >= MARGIN + h) outside++;
      else inside++;
    }
  }
  return { outside, inside, width: w, height: h };
}

function row(suite: string, group: string, name: string, extra: Partial<ResultRow>): ResultRow {
  return { suite, group, name, ...extra };
}

/** A report with what broke the old chart: long labels, 29 ns next to 4 µs, a quick run. */
function report(quick: boolean): RunReport {
  const long = 'map + read 1 byte + unmap of a 4 KiB file, release included, batches of 256 with an event-loop turn after each';
  return {
    machine: {
      date: '2026-12-06T20:00:00.000Z',
      cpu: 'AMD EPYC 9B14 96-Core Processor',
      cores: 2,
      flags: 'avx2 avx512bw',
      kernel: 'Linux 6.18.44',
      node: 'v20.20.2',
      memory: '24 GiB',
      pageSize: 4096,
      thp: { enabled: 'always' },
      filesystem: 'ext4',
      load: '0.50',
    } as unknown as RunReport['machine'],
    facts: { folios: 'yes: 2048 KiB' },
    options: { quick, sizeBytes: 256 << 20, suites: ['random', 'scan-warm', 'map-overhead'], timeMs: 1000 },
    ok: true,
    durationSec: 12,
    suites: [
      {
        suite: 'random',
        title: 'Random 4-byte reads',
        checks: [],
        remarks: [],
        rows: [
          row('random', 'random 4-byte reads over a 256 MiB file, warm page cache', 'pread of 4 bytes at a random offset (one system call per read)', {
            nsPerOp: 4100,
            baseline: true,
            nsMin: 3500,
            nsMax: 9000,
          }),
          row('random', 'random 4-byte reads over a 256 MiB file, warm page cache', 'mapping, JS readUInt32LE', {
            nsPerOp: 29,
            ratio: 141,
            nsMin: 25,
            nsMax: 60,
          }),
        ],
      },
      {
        suite: 'scan-warm',
        title: 'Warm sequential scan',
        checks: [],
        remarks: [],
        rows: [
          row('scan-warm', 'warm scan, native loop', 'read() with a 1 MiB buffer, native loop', {
            gbPerSec: 14.6,
            bytes: 256 << 20,
            baseline: true,
            nsPerOp: (256 << 20) / 14.6,
            nsMin: (256 << 20) / 16,
            nsMax: (256 << 20) / 12,
          }),
          row('scan-warm', 'warm scan, native loop', 'mmap, native loop over the mapping', {
            gbPerSec: 19.2,
            bytes: 256 << 20,
            ratio: 1.31,
            nsPerOp: (256 << 20) / 19.2,
          }),
        ],
      },
      {
        suite: 'map-overhead',
        title: 'Map and unmap',
        checks: [],
        remarks: [],
        rows: [
          row('map-overhead', 'small file', '@riaskov/mmap-io, unmapped by the GC', { nsPerOp: 8900, baseline: true }),
          row('map-overhead', 'small file', `mmapkit: ${long}`, { nsPerOp: 7500, ratio: 1.19 }),
        ],
      },
    ],
  };
}

describe('benchmark charts', () => {
  it('wraps text to its measured width', () => {
    const lines = wrapText('map + read 1 byte + unmap of a 4 KiB file, release included, in batches', 150, 12);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 12)).toBeLessThanOrEqual(150);
    expect(wrapText('x'.repeat(200), 100, 12).every((l) => textWidth(l, 12) <= 100)).toBe(true);
  });

  it('the headline chart picks mmapkit against each baseline, on a log axis with the machine line', () => {
    const rep = report(false);
    const rows = headlineRows(rep);
    expect(rows.map((r) => r.label)).toEqual([
      'warm sequential scan of the whole file: mmap vs read() 1 MiB',
      'random 4-byte reads: a mapping from JS vs pread',
      'map + unmap of a small file vs mmap-io',
    ]);
    const svg = headlineChart(rep, 'AMD EPYC, 2 vCPU, Linux 6.18.44, Node v20.20.2');
    expect(svg).toContain('141×');
    expect(svg).toContain('log scale');
    expect(svg).toContain('Node v20.20.2');
    expect(svg).not.toContain('timings meaningless');
  });

  it('a suite chart has a legend, a log axis where values span more than 10×, the spread, and a quick watermark', () => {
    const svg = suiteChart(report(true), report(true).suites[0], 'machine');
    expect(svg).toContain('baseline of the group');
    expect(svg).toContain('log scale');
    expect(svg).toContain('min–max of the samples');
    expect(svg).toContain('quick run — timings meaningless');
    expect(suiteChart(report(false), report(false).suites[1], 'machine')).not.toContain('log scale');
  });

  it.skipIf(!RSVG)('no chart draws outside its viewBox (rendered by rsvg-convert)', () => {
    for (const quick of [false, true]) {
      const rep = report(quick);
      const charts = [
        headlineChart(
          rep,
          'AMD EPYC 9B14 96-Core Processor, 2 vCPU, AVX-512, Linux 6.18.44, Node v20.20.2, 4 KiB pages, THP always, page cache in large folios: yes',
        ),
        ...rep.suites.map((s) => suiteChart(rep, s, 'machine line')),
      ];
      for (const svg of charts) {
        const ink = inkOutside(svg);
        expect(ink.inside, 'the chart drew something').toBeGreaterThan(1000);
        expect(ink.outside, `ink outside a ${ink.width}×${ink.height} chart`).toBe(0);
      }
    }
  });

  it.skipIf(!RSVG)('the check catches a label that runs off the edge', () => {
    const svg = headlineChart(report(false), 'm').replace('</svg>', '<text x="880" y="30">a label that runs off the right edge</text></svg>');
    expect(inkOutside(svg).outside).toBeGreaterThan(0);
  });

  it('the terminal table fits the width it is given, with groups as sub-headings', () => {
    for (const columns of [60, 80, 120]) {
      const text = terminalTable(report(false), columns);
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(columns);
      expect(text).toMatch(/^ {2}-- random 4-byte reads/m);
    }
    expect(terminalTable(report(false), 120)).toContain('  -- random 4-byte reads over a 256 MiB file, warm page cache\n');
  });

  it('a group of values with no GB/s, time or faults shows only the columns it has', () => {
    const rep = report(false);
    rep.suites.push({
      suite: 'ipc',
      title: 'IPC',
      checks: [],
      remarks: [],
      rows: [
        row('ipc', '8 B round trip p50', 'mmapkit Channel', { value: 2.1, unit: 'µs', note: 'p99 9 µs' }),
        row('ipc', '8 B round trip p50', 'process.send', { value: 39.3, unit: 'µs', note: 'p99 134 µs' }),
      ],
    });
    const text = terminalTable(rep, 100);
    const at = text.indexOf('  -- 8 B round trip p50');
    const block = text.slice(at).split('\n').slice(0, 4);
    expect(block[1]).toMatch(/^ {5}mmapkit Channel {2}2\.10 µs; p99 9 µs$/);
    expect(block.join('\n')).not.toMatch(/GB\/s|time\/op|faults/);
  });
});
