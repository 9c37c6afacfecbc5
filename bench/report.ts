/**
 * Reports of a benchmark run: a terminal table, JSON, markdown and an SVG bar chart. Every report
 * opens with the machine: date, CPU and flags, kernel, Node, page size, THP settings, filesystem
 * and whether the data file's page cache sits in large folios.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes, formatDuration } from 'mmapkit';
import { headlineChart, suiteChart } from './charts';
import type { MachineInfo } from './machine';
import type { ResultRow, RunReport } from './types';

export type { RunReport } from './types';

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
  const thp = Object.entries(m.thp)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
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

/**
 * Splits text into lines of at most `width` characters, at spaces where it can. Leading spaces are
 * kept on every line (continuation lines are indented two more).
 */
function wrapChars(text: string, width: number): string[] {
  const lead = /^ */.exec(text)![0];
  const body = text.slice(lead.length);
  const out: string[] = [];
  let line = '';
  let prefix = lead;
  const room = () => Math.max(8, width - prefix.length);
  const flush = () => {
    out.push(prefix + line);
    prefix = lead + '  ';
    line = '';
  };
  for (const word of body.split(' ')) {
    if (!line) line = word;
    else if (line.length + 1 + word.length <= room()) line += ' ' + word;
    else {
      flush();
      line = word;
    }
    while (line.length > room()) {
      const rest = line.slice(room());
      line = line.slice(0, room());
      flush();
      line = rest;
    }
  }
  out.push(prefix + line);
  return out;
}

/**
 * The report for a terminal, fitted to `columns` (the terminal's width; 100 when not a terminal):
 * each group is a sub-heading, names wrap in their column, and a value or note that does not fit
 * beside the numbers goes on its own indented line.
 */
export function terminalTable(rep: RunReport, columns = process.stdout.columns || 100): string {
  const width = Math.max(60, columns);
  const out: string[] = [];
  for (const l of machineLines(rep.machine, rep.facts)) out.push(...wrapChars(l, width));
  out.push(
    ...wrapChars(`data: ${formatBytes(rep.options.sizeBytes)} CSV${rep.options.quick ? ' (quick mode: sums checked, timings meaningless)' : ''}`, width),
  );
  const indent = '     ';
  for (const s of rep.suites) {
    out.push('');
    out.push(...wrapChars(`== ${s.title} [${s.suite}]`, width));
    if (s.skipped) {
      out.push(...wrapChars(`   skipped: ${s.skipped}`, width));
      continue;
    }
    if (s.error) out.push(...wrapChars(`   FAILED: ${s.error}`, width));
    // Rows of one group together (suites may record groups interleaved), groups in order of first appearance.
    const order = [...new Set(s.rows.map((r) => r.group))];
    const all = [...s.rows].sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group)).map(cells);
    // Numeric columns: GB/s, time/op, faults, vs base (cells 2..5), sized to the suite; a group
    // shows only the columns it has values in (a group of messages/s or microseconds has none of
    // the first three, and its value goes beside the name).
    const numW = [2, 3, 4, 5].map((i) => Math.max(HEAD[i].length, ...all.map((c) => c[i].length)));
    for (const group of order) {
      const rows = all.filter((c) => c[0] === group);
      const cols = [0, 1, 2, 3].filter((k) => rows.some((c) => c[k + 2] !== ''));
      const numbersW = cols.reduce((a, k) => a + numW[k] + 2, 0);
      // Too narrow for a name beside the numbers: each row's numbers go on a line of their own.
      const stacked = cols.length > 0 && width - indent.length - numbersW < 16;
      const nameW = stacked ? width - indent.length : width - indent.length - numbersW;
      out.push(...wrapChars(`  -- ${group}`, width));
      if (!stacked && cols.length > 0) out.push((indent + 'name'.padEnd(nameW) + cols.map((k) => '  ' + HEAD[k + 2].padStart(numW[k])).join('')).trimEnd());
      for (const c of rows) {
        if (stacked) {
          for (const n of wrapChars(c[1], nameW)) out.push(indent + n);
          const facts = [2, 3, 4, 5].filter((i) => c[i]).map((i) => `${HEAD[i]} ${c[i]}`);
          if (c[6]) facts.push(c[6]);
          for (const n of wrapChars(facts.join(' · '), width - indent.length - 2)) out.push(indent + '  ' + n);
          continue;
        }
        const names = wrapChars(c[1], nameW);
        const numbers = cols.map((k) => '  ' + c[k + 2].padStart(numW[k])).join('');
        let first = indent + (cols.length ? names[0].padEnd(nameW) + numbers : names[0]);
        const note = c[6];
        const inline = note && first.trimEnd().length + 2 + note.length <= width && names.length === 1;
        if (inline) first = first.trimEnd() + '  ' + note;
        out.push(first.trimEnd());
        for (const n of names.slice(1)) out.push(indent + n);
        if (note && !inline) for (const n of wrapChars(note, width - indent.length - 2)) out.push(indent + '  ' + n);
      }
    }
    for (const c of s.checks.filter((c) => !c.ok)) out.push(...wrapChars(`   CHECK FAILED: ${c.name}${c.detail ? ` (${c.detail})` : ''}`, width));
    const passed = s.checks.filter((c) => c.ok).length;
    if (s.checks.length) out.push(`   checks: ${passed}/${s.checks.length} passed`);
    for (const r of s.remarks) out.push(...wrapChars(`   note: ${r}`, width));
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
    out.push(
      `Checks: ${s.checks.length - failed.length}/${s.checks.length} passed.${failed.map((c) => ` FAILED: ${c.name}${c.detail ? ` (${c.detail})` : ''}.`).join('')}`,
      '',
    );
    for (const r of s.remarks) out.push(`- ${r}`);
    if (s.remarks.length) out.push('');
  }
  return out.join('\n');
}

/** The headline chart (README's figure): mmapkit against each baseline, ratio bars on a log axis. */
export function svgChart(rep: RunReport): string {
  return headlineChart(rep, machineLine(rep.machine, rep.facts));
}

/** Writes headline.svg and one suite-NAME.svg per suite into `dir`; returns the file names. */
export function writeCharts(rep: RunReport, dir: string): string[] {
  const machine = machineLine(rep.machine, rep.facts);
  const files: string[] = [];
  fs.writeFileSync(path.join(dir, 'headline.svg'), headlineChart(rep, machine));
  files.push('headline.svg');
  for (const s of rep.suites) {
    const name = `suite-${s.suite}.svg`;
    fs.writeFileSync(path.join(dir, name), suiteChart(rep, s, machine));
    files.push(name);
  }
  return files;
}
