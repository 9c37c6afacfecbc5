/**
 * Reports of a benchmark run: a terminal table, JSON, markdown and an SVG bar chart. Every report
 * opens with the machine: date, CPU and flags, kernel, Node, page size, THP settings, filesystem
 * and whether the data file's page cache sits in large folios.
 */
import { formatBytes, formatDuration } from 'mmapkit';
import type { MachineInfo } from './machine';
import type { ResultRow, SuiteOutput } from './types';

export interface RunReport {
  machine: MachineInfo;
  /** Facts found during the run (folios, mmap-io builds …). */
  facts: Record<string, string | number | boolean>;
  options: { quick: boolean; sizeBytes: number; suites: string[]; timeMs: number };
  suites: SuiteOutput[];
  ok: boolean;
  durationSec: number;
}

/** Fills in each row's ratio against its group's baseline (by GB/s, else by inverse time). */
export function addRatios(rows: ResultRow[]): void {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = `${r.suite}\u0000${r.group}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  for (const list of groups.values()) {
    const base = list.find((r) => r.baseline);
    if (!base) continue;
    for (const r of list) {
      if (base.gbPerSec && r.gbPerSec) r.ratio = r.gbPerSec / base.gbPerSec;
      else if (base.nsPerOp && r.nsPerOp) r.ratio = base.nsPerOp / r.nsPerOp;
      else if (base.value && r.value !== undefined) r.ratio = r.value / base.value;
    }
  }
}

export function machineLines(m: MachineInfo, facts: Record<string, string | number | boolean>): string[] {
  const thp = Object.entries(m.thp).map(([k, v]) => `${k}=${v}`).join(', ');
  const lines = [
    `date: ${m.date}`,
    `cpu: ${m.cpu} (${m.cores} cores), flags: ${m.flags || 'none of interest'}`,
    `kernel: ${m.kernel}; node: ${m.node}; memory: ${m.memory}; page size: ${m.pageSize} B`,
    `load average at start: ${m.load ?? '?'}`,
    `transparent huge pages: ${thp || 'not available'}`,
    `data filesystem: ${m.filesystem}`,
  ];
  if (facts.folios !== undefined) lines.push(`page cache of the data file in large folios: ${facts.folios}`);
  for (const [k, v] of Object.entries(facts)) if (k !== 'folios') lines.push(`${k}: ${v}`);
  return lines;
}

/** One line to quote with a figure: CPU, cores, kernel, Node, folio state. */
export function machineLine(m: MachineInfo, facts: Record<string, string | number | boolean>): string {
  const folio = typeof facts.folios === 'string' ? facts.folios.split(':')[0] : '?';
  return `${m.cpu}, ${m.cores} vCPU, ${m.flags.includes('avx512bw') ? 'AVX-512' : m.flags.includes('avx2') ? 'AVX2' : 'no AVX2'}, Linux ${m.kernel.replace(/^Linux /, '')}, Node ${m.node}, ${m.pageSize / 1024} KiB pages, THP ${m.thp.enabled ?? '?'}, page cache in large folios: ${folio}`;
}

function cells(r: ResultRow): string[] {
  const faults = r.minorFaults !== undefined ? `${fmtCount(r.minorFaults)} / ${fmtCount(r.majorFaults ?? 0)}` : '';
  return [
    r.group,
    r.name,
    r.gbPerSec !== undefined ? r.gbPerSec.toFixed(2) : '',
    r.nsPerOp !== undefined ? formatDuration(r.nsPerOp) : '',
    faults,
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}×${r.baseline ? ' (base)' : ''}` : r.baseline ? 'base' : '',
    [r.value !== undefined ? `${fmtValue(r.value)} ${r.unit ?? ''}`.trim() : '', r.note ?? ''].filter(Boolean).join('; '),
  ];
}

function fmtCount(n: number): string {
  if (n === 0) return '0';
  if (n >= 100) return String(Math.round(n));
  return n.toFixed(n < 1 ? 2 : 1);
}

function fmtValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
}

const HEAD = ['group', 'name', 'GB/s', 'time/op', 'faults min/maj', 'vs base', 'value / note'];

export function terminalTable(rep: RunReport): string {
  const out: string[] = [];
  out.push(...machineLines(rep.machine, rep.facts));
  out.push(`data: ${formatBytes(rep.options.sizeBytes)} CSV${rep.options.quick ? ' (quick mode: sums checked, timings meaningless)' : ''}`);
  for (const s of rep.suites) {
    out.push('');
    out.push(`== ${s.title} [${s.suite}]`);
    if (s.skipped) {
      out.push(`   skipped: ${s.skipped}`);
      continue;
    }
    if (s.error) out.push(`   FAILED: ${s.error}`);
    const table = [HEAD, ...s.rows.map(cells)];
    const widths = HEAD.map((_, i) => Math.min(48, Math.max(...table.map((r) => r[i].length))));
    for (const [k, r] of table.entries()) {
      out.push('   ' + r.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
      if (k === 0) out.push('   ' + widths.map((w) => '-'.repeat(w)).join('  '));
    }
    for (const c of s.checks.filter((c) => !c.ok)) out.push(`   CHECK FAILED: ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
    const passed = s.checks.filter((c) => c.ok).length;
    if (s.checks.length) out.push(`   checks: ${passed}/${s.checks.length} passed`);
    for (const r of s.remarks) out.push(`   note: ${r}`);
  }
  out.push('');
  out.push(`${rep.ok ? 'all checks passed' : 'SOME CHECKS FAILED'} (${rep.durationSec.toFixed(0)} s)`);
  return out.join('\n');
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function markdown(rep: RunReport): string {
  const out: string[] = ['# mmapkit benchmark', ''];
  out.push('```', ...machineLines(rep.machine, rep.facts), '```', '');
  out.push(`Machine line: ${machineLine(rep.machine, rep.facts)}`, '');
  out.push(`Data: ${formatBytes(rep.options.sizeBytes)} generated CSV${rep.options.quick ? ' — quick mode, timings meaningless' : ''}.`, '');
  for (const s of rep.suites) {
    out.push(`## ${s.title}`, '');
    if (s.skipped) {
      out.push(`Skipped: ${s.skipped}`, '');
      continue;
    }
    if (s.error) out.push(`**Failed:** ${s.error}`, '');
    if (s.rows.length) {
      out.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i >= 2 && i <= 5 ? '---:' : '---')).join('|')}|`);
      for (const r of s.rows) out.push(`| ${cells(r).map(mdEscape).join(' | ')} |`);
      out.push('');
    }
    const failed = s.checks.filter((c) => !c.ok);
    out.push(`Checks: ${s.checks.length - failed.length}/${s.checks.length} passed.${failed.map((c) => ` FAILED: ${c.name}${c.detail ? ` (${c.detail})` : ''}.`).join('')}`, '');
    for (const r of s.remarks) out.push(`- ${r}`);
    if (s.remarks.length) out.push('');
  }
  return out.join('\n');
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Horizontal bars of GB/s (or ns/op where there is no GB/s), one panel per group. */
export function svgChart(rep: RunReport): string {
  const W = 900;
  const labelW = 330;
  const barMax = W - labelW - 110;
  const rowH = 18;
  const parts: string[] = [];
  let y = 60;
  const head = machineLine(rep.machine, rep.facts);
  for (const s of rep.suites) {
    const groups = new Map<string, ResultRow[]>();
    for (const r of s.rows) {
      if (r.gbPerSec === undefined && r.nsPerOp === undefined) continue;
      if (!groups.has(r.group)) groups.set(r.group, []);
      groups.get(r.group)!.push(r);
    }
    for (const [g, rows] of groups) {
      const useGb = rows.every((r) => r.gbPerSec !== undefined);
      const val = (r: ResultRow): number => (useGb ? r.gbPerSec! : r.nsPerOp!);
      const max = Math.max(...rows.map(val), 1e-9);
      parts.push(`<text x="10" y="${y}" font-weight="bold">${xmlEscape(`${s.suite}: ${g}`)} (${useGb ? 'GB/s, longer is faster' : 'time per op, shorter is faster'})</text>`);
      y += 8;
      for (const r of rows) {
        const w = Math.max(1, (val(r) / max) * barMax);
        const fill = r.baseline ? '#888' : useGb ? '#2a7ab8' : '#c0622d';
        parts.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${xmlEscape(r.name.length > 52 ? r.name.slice(0, 51) + '…' : r.name)}</text>`);
        parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${fill}"/>`);
        parts.push(`<text x="${labelW + w + 5}" y="${y + 13}">${useGb ? val(r).toFixed(2) : xmlEscape(formatDuration(val(r)))}</text>`);
        y += rowH;
      }
      y += 16;
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">mmapkit benchmark — ${xmlEscape(rep.machine.date)}</text>`,
    `<text x="10" y="40">${xmlEscape(head)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
