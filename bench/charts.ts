/**
 * The benchmark's SVG charts: a headline chart (mmapkit against each baseline, as ratio bars on a
 * log axis) and one chart per suite (a panel per group, with a legend, labels wrapped to their
 * measured width, a log axis where a group's values span more than 10×, and the min–max spread of
 * the samples). A --quick run carries a watermark: its timings mean nothing.
 *
 * Text is measured with the advance widths of DejaVu Sans Bold (the font librsvg and most Linux
 * browsers use for sans-serif; bold is the wider face, so regular text measured with it never runs
 * further than measured). Other fonts fall back to the widest glyph of the table.
 */
import { formatDuration } from 'mmapkit';
import type { ResultRow, RunReport } from './types';

/** Advance widths in thousandths of an em for ASCII 32..126 (DejaVu Sans Bold's hmtx table). */
const ASCII = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838,
  580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457,
  838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365,
  712, 838,
];
const OTHER: Record<string, number> = { '×': 838, µ: 736, '–': 500, '—': 1000, '…': 1000, '·': 380, '≥': 838, '≤': 838 };

/** Width in pixels of `text` at `size` px. */
export function textWidth(text: string, size: number): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c < 127 ? ASCII[c - 32] : (OTHER[ch] ?? 1103);
  }
  return (w * size) / 1000;
}

/** Splits `text` into lines no wider than `max` px (a word longer than a line is cut at a character). */
export function wrapText(text: string, max: number, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, size) <= max) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    let rest = word;
    while (textWidth(rest, size) > max) {
      let cut = rest.length - 1;
      while (cut > 1 && textWidth(rest.slice(0, cut), size) > max) cut--;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = { base: '#8c8c8c', fast: '#2a7ab8', time: '#c0622d', better: '#2a7ab8', worse: '#c0622d', grid: '#dddddd', ink: '#222222', muted: '#666666' };
const FONT = 12;
const LINE = 15;

interface Axis {
  log: boolean;
  lo: number;
  hi: number;
  /** x offset in [0, 1] of a value. */
  at(v: number): number;
  ticks: number[];
}

function axis(values: number[], forceLog = false): Axis {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const min = Math.min(...pos);
  const max = Math.max(...pos);
  const log = forceLog || max / min > 10;
  if (log) {
    const lo = 10 ** Math.floor(Math.log10(min));
    const hi = 10 ** Math.ceil(Math.log10(max));
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    return { log, lo, hi, ticks, at: (v) => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) };
  }
  const step = 10 ** Math.floor(Math.log10(max || 1));
  const hi = Math.ceil((max || 1) / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= hi * 1.0001; t += hi / 4) ticks.push(t);
  return { log, lo: 0, hi, ticks, at: (v) => Math.max(0, v) / hi };
}

function watermark(width: number, height: number): string {
  const text = 'quick run — timings meaningless';
  const k = textWidth(text, 1);
  // The rotated text's bounding box must fit inside the chart: pick the angle, then the size.
  const theta = Math.min(Math.atan2(height, width), Math.PI / 9);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const size = Math.min(44, (0.9 * width) / (k * cos + sin), (0.8 * height) / (k * sin + cos));
  return `<text x="${width / 2}" y="${height / 2}" font-size="${size.toFixed(1)}" font-weight="bold" fill="#d22" fill-opacity="0.16" text-anchor="middle" dominant-baseline="central" transform="rotate(${((-theta * 180) / Math.PI).toFixed(1)} ${width / 2} ${height / 2})">${esc(text)}</text>`;
}

/** A ratio as the charts print it: 141×, 12.5×, 1.31×. */
function fmtRatio(r: number): string {
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function textLines(x: number, y: number, lines: string[], attrs = ''): string {
  return lines.map((l, i) => `<text x="${x}" y="${y + i * LINE}"${attrs ? ' ' + attrs : ''}>${esc(l)}</text>`).join('');
}

function frame(width: number, height: number, title: string, sub: string[], body: string[], quick: boolean): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="${FONT}" fill="${COLORS.ink}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...sub.map((l, i) => `<text x="12" y="${44 + i * LINE}" fill="${COLORS.muted}">${esc(l)}</text>`),
    ...body,
    quick ? watermark(width, height) : '',
    '</svg>',
  ].join('\n');
}

/** One row of the headline chart: the mmapkit figure against its baseline. */
export interface HeadlineRow {
  label: string;
  /** Throughput-like ratio: > 1 means mmapkit is better. */
  ratio: number;
  detail: string;
}

/**
 * The rows the headline chart shows, picked from a report: every group's best non-baseline row
 * against the group's baseline, for the groups named here (suite, group, the row to show).
 */
export const HEADLINE: readonly { suite: string; group: RegExp; row: RegExp; label: string; smallerIsBetter?: boolean }[] = [
  { suite: 'scan-warm', group: /^warm scan, native loop$/, row: /mmap.*native/i, label: 'warm sequential scan of the whole file: mmap vs read() 1 MiB' },
  { suite: 'csv-sum', group: /./, row: /avx-?512|avx2/i, label: 'CSV sum: SIMD over a mapping vs the reference loop' },
  { suite: 'random', group: /./, row: /readUInt32LE/, label: 'random 4-byte reads: a mapping from JS vs pread' },
  { suite: 'sharing', group: /./, row: /map/i, label: '4 processes, one file: memory of readFileSync ÷ a mapping', smallerIsBetter: true },
  { suite: 'map-overhead', group: /./, row: /mmapkit/i, label: 'map + unmap of a small file vs mmap-io' },
  { suite: 'ipc', group: /^8 B messages, process/, row: /send\/receive/, label: '8 B messages between processes: channel vs process.send' },
];

export function headlineRows(rep: RunReport): HeadlineRow[] {
  const out: HeadlineRow[] = [];
  for (const pick of HEADLINE) {
    const suite = rep.suites.find((s) => s.suite === pick.suite);
    if (!suite) continue;
    // A ratio where smaller is better (memory) is turned round, so that right of 1× always favours mmapkit.
    const gain = (r: ResultRow) => (pick.smallerIsBetter ? 1 / r.ratio! : r.ratio!);
    const candidates = suite.rows.filter((r) => !r.baseline && r.ratio !== undefined && r.ratio > 0 && pick.group.test(r.group) && pick.row.test(r.name));
    if (!candidates.length) continue;
    const best = candidates.reduce((a, b) => (gain(b) > gain(a) ? b : a));
    const base = suite.rows.find((r) => r.baseline && r.group === best.group);
    out.push({ label: pick.label, ratio: gain(best), detail: `${best.name}${base ? ` vs ${base.name}` : ''}` });
  }
  return out;
}

/** Ratio bars on a log axis centred on 1×, one per headline row, with the machine line under it. */
export function headlineChart(rep: RunReport, machine: string): string {
  const rows = headlineRows(rep);
  const width = 900;
  const labelW = 330;
  const plotX = labelW + 20;
  const plotW = width - plotX - 70;
  const ax = axis([...rows.map((r) => r.ratio), 0.5, 2], true);
  const lo = Math.min(ax.lo, 0.1);
  const hi = Math.max(ax.hi, 10);
  const at = (v: number) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
  const sub = wrapText(machine, width - 24, FONT);
  let y = 44 + sub.length * LINE + 24;
  const body: string[] = [];
  const top = y;
  const one = plotX + at(1) * plotW;
  for (const r of rows) {
    const label = wrapText(r.label, labelW - 12, FONT);
    const h = Math.max(22, label.length * LINE + 6);
    body.push(textLines(labelW, y + 15, label, 'text-anchor="end"'));
    const x = plotX + at(r.ratio) * plotW;
    const better = r.ratio >= 1;
    body.push(
      `<rect x="${Math.min(x, one).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x - one)).toFixed(1)}" height="16" fill="${better ? COLORS.better : COLORS.worse}"/>`,
    );
    const text = fmtRatio(r.ratio);
    const tx = better ? x + 5 : x - 5;
    body.push(`<text x="${tx.toFixed(1)}" y="${y + 15}"${better ? '' : ' text-anchor="end"'} font-weight="bold">${esc(text)}</text>`);
    y += h;
  }
  const ticks: string[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    const x = plotX + at(t) * plotW;
    ticks.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${y}" stroke="${t === 1 ? COLORS.ink : COLORS.grid}"/>`);
    ticks.push(`<text x="${x.toFixed(1)}" y="${y + 16}" text-anchor="middle" fill="${COLORS.muted}">${t >= 1 ? t : t.toFixed(1)}×</text>`);
  }
  y += 30;
  const legend = `<text x="${plotX}" y="${y}" fill="${COLORS.muted}">ratio on a log scale; right of 1× mmapkit is faster (or smaller), left of it the baseline is</text>`;
  if (!rows.length) body.push(`<text x="12" y="${top + 15}">No headline rows in this run (suites: ${esc(rep.options.suites.join(', '))})</text>`);
  return frame(width, y + 16, `mmapkit against the baseline — ${rep.machine.date}`, sub, [...ticks, ...body, legend], rep.options.quick);
}

/** A suite's chart: one panel per group, bars of GB/s (longer is faster) or time/op (shorter is faster). */
export function suiteChart(rep: RunReport, suite: RunReport['suites'][number], machine: string): string {
  const width = 900;
  const labelW = 320;
  const plotX = labelW + 16;
  const sub = wrapText(machine, width - 24, FONT);
  let y = 44 + sub.length * LINE + 10;
  const body: string[] = [];
  // Legend: swatches and their meaning, wrapped to the chart's width.
  const legend: [string, string, 'box' | 'line'][] = [
    [COLORS.base, 'baseline of the group', 'box'],
    [COLORS.fast, 'throughput (GB/s): longer is faster', 'box'],
    [COLORS.time, 'time per operation: shorter is faster', 'box'],
    [COLORS.ink, 'min–max of the samples', 'line'],
  ];
  let lx = 12;
  for (const [color, text, kind] of legend) {
    const w = 17 + textWidth(text, FONT);
    if (lx + w > width - 12) {
      lx = 12;
      y += LINE + 4;
    }
    body.push(
      kind === 'box'
        ? `<rect x="${lx}" y="${y}" width="12" height="12" fill="${color}"/>`
        : `<line x1="${lx}" y1="${y + 6}" x2="${lx + 12}" y2="${y + 6}" stroke="${color}"/><line x1="${lx}" y1="${y + 2}" x2="${lx}" y2="${y + 10}" stroke="${color}"/><line x1="${lx + 12}" y1="${y + 2}" x2="${lx + 12}" y2="${y + 10}" stroke="${color}"/>`,
    );
    body.push(`<text x="${lx + 17}" y="${y + 10}">${esc(text)}</text>`);
    lx += w + 22;
  }
  y += 30;
  const groups = new Map<string, ResultRow[]>();
  for (const r of suite.rows) {
    if (r.gbPerSec === undefined && r.nsPerOp === undefined) continue;
    if (!groups.has(r.group)) groups.set(r.group, []);
    groups.get(r.group)!.push(r);
  }
  for (const [g, rows] of groups) {
    const useGb = rows.every((r) => r.gbPerSec !== undefined);
    const val = (r: ResultRow) => (useGb ? r.gbPerSec! : r.nsPerOp!);
    const spread = (r: ResultRow): [number, number] | undefined => {
      if (r.nsMin === undefined || r.nsMax === undefined || !r.nsPerOp) return undefined;
      const perOp = (ns: number) => ns / (r.ops ?? 1);
      return useGb && r.bytes ? [r.bytes / r.nsMax, r.bytes / r.nsMin] : [perOp(r.nsMin), perOp(r.nsMax)];
    };
    const ax = axis(rows.flatMap((r) => [val(r), ...(spread(r) ?? [])]));
    const valueText = (r: ResultRow) =>
      (useGb ? `${val(r).toFixed(2)} GB/s` : formatDuration(val(r))) + (r.ratio !== undefined && !r.baseline ? `  ${fmtRatio(r.ratio)}` : '');
    const valueW = Math.max(...rows.map((r) => textWidth(valueText(r), FONT))) + 16;
    const plotW = width - plotX - valueW - 12;
    const headLines = wrapText(`${g} — ${useGb ? 'GB/s' : 'time per operation'}${ax.log ? ', log scale' : ''}`, width - 24, FONT + 1);
    body.push(textLines(12, y + 12, headLines, 'font-weight="bold" font-size="13"'));
    y += headLines.length * LINE + 6;
    const top = y;
    for (const r of rows) {
      const label = wrapText(r.name, labelW - 12, FONT);
      const h = Math.max(20, label.length * LINE + 5);
      body.push(textLines(labelW, y + 14, label, 'text-anchor="end"'));
      const x = plotX + ax.at(val(r)) * plotW;
      body.push(
        `<rect x="${plotX}" y="${y + 3}" width="${Math.max(1, x - plotX).toFixed(1)}" height="14" fill="${r.baseline ? COLORS.base : useGb ? COLORS.fast : COLORS.time}"/>`,
      );
      const sp = spread(r);
      if (sp) {
        const [a, b] = sp.map((v) => plotX + ax.at(v) * plotW);
        body.push(
          `<line x1="${a.toFixed(1)}" y1="${y + 10}" x2="${b.toFixed(1)}" y2="${y + 10}" stroke="${COLORS.ink}"/><line x1="${a.toFixed(1)}" y1="${y + 6}" x2="${a.toFixed(1)}" y2="${y + 14}" stroke="${COLORS.ink}"/><line x1="${b.toFixed(1)}" y1="${y + 6}" x2="${b.toFixed(1)}" y2="${y + 14}" stroke="${COLORS.ink}"/>`,
        );
      }
      body.push(`<text x="${width - 12}" y="${y + 14}" text-anchor="end">${esc(valueText(r))}</text>`);
      y += h;
    }
    for (const t of ax.ticks) {
      const x = plotX + ax.at(t) * plotW;
      body.unshift(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${y}" stroke="${COLORS.grid}"/>`);
      const label = useGb ? `${+t.toPrecision(3)}` : formatDuration(t);
      body.push(
        `<text x="${x.toFixed(1)}" y="${y + 13}" text-anchor="middle" font-size="10" fill="${COLORS.muted}">${esc(t === 0 && !useGb ? '0' : label)}</text>`,
      );
    }
    y += 30;
  }
  if (!groups.size) {
    body.push(`<text x="12" y="${y + 12}">${esc(suite.skipped ? `skipped: ${suite.skipped}` : 'no timed rows')}</text>`);
    y += 24;
  }
  return frame(width, y + 8, `${suite.title} [${suite.suite}] — ${rep.machine.date}`, sub, body, rep.options.quick);
}
