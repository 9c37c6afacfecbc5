/**
 * `mmapkit bench`: generates the data, runs every suite in a fresh Node process, writes the
 * reports. Entry point: run(argv) → exit code.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { addonAvailable, formatBytes, parseSize } from 'mmapkit';
import type { ContextInit } from './context';
import { ensureWarm, generateCsv } from './data';
import { folioInfo, machineInfo } from './machine';
import { addRatios, markdown, svgChart, terminalTable, writeCharts, type RunReport } from './report';
import type { SuiteOutput } from './types';

const HELP = `usage: mmapkit bench [options]

Runs the benchmark suites, each in a fresh Node process, on data it generates in a temporary
folder, and writes a terminal table plus report.json, report.md and report.svg.

options:
  --quick            every suite on tiny sizes; checks the sums only (timings meaningless)
  --suite NAME       run only these suites (repeat or comma-separate; names or numbers, see --list)
  --size SIZE        size of the generated CSV (default 256m; 4m with --quick), e.g. 64m, 1g;
                     under 2g (fs.readFileSync, a baseline, cannot read more)
  --time MS          minimum time per measured task in milliseconds (default 1000)
  --out DIR          folder for the reports (default ./bench-results/<date>)
  --cache DIR        folder for npm installs of comparison packages (default ~/.cache/mmapkit-bench)
  --keep             keep the generated data folder
  --list             list the suites and exit
  -h, --help         this help`;

interface SuiteFile {
  file: string;
  name: string;
  number: string;
}

export function suiteFiles(): SuiteFile[] {
  const dir = path.join(__dirname, 'suites');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.+\.js$/.test(f))
    .sort()
    .map((f) => ({ file: path.join(dir, f), number: f.slice(0, 2), name: f.slice(3, -3) }));
}

function runChild(suite: SuiteFile, init: ContextInit, workDir: string, timeoutMs: number): Promise<SuiteOutput> {
  const ctxFile = path.join(workDir, `${suite.number}-ctx.json`);
  const outFile = path.join(workDir, `${suite.number}-out.json`);
  fs.writeFileSync(ctxFile, JSON.stringify({ ...init, suite: suite.name }));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'run-suite.js'), suite.file, ctxFile, outFile], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let out: SuiteOutput | undefined;
      try {
        out = JSON.parse(fs.readFileSync(outFile, 'utf8')) as SuiteOutput;
      } catch {
        /* no output */
      }
      if (!out) {
        out = {
          suite: suite.name,
          title: suite.name,
          rows: [],
          checks: [],
          remarks: [],
          error: `the suite process ended with ${signal ? `signal ${signal}` : `code ${code}`} and no output`,
        };
      } else if (code !== 0 && !out.error) {
        out.error = `the suite process ended with code ${code}`;
      }
      resolve(out);
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      suite: { type: 'string', multiple: true },
      size: { type: 'string' },
      time: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      keep: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const all = suiteFiles();
  if (values.list) {
    for (const s of all) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(s.file) as { suite?: { title?: string } };
      process.stdout.write(`${s.number} ${s.name.padEnd(14)} ${mod.suite?.title ?? ''}\n`);
    }
    return 0;
  }
  const wanted = (values.suite ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const chosen = wanted.length ? all.filter((s) => wanted.some((w) => w === s.name || w === s.number || Number(w) === Number(s.number))) : all;
  if (wanted.length && chosen.length === 0) throw new Error(`no suite matches ${wanted.join(', ')}; see 'mmapkit bench --list'`);
  const quick = values.quick;
  const sizeBytes = values.size ? parseSize(values.size, '--size') : quick ? 4 << 20 : 256 << 20;
  // fs.readFileSync (a baseline of the scan suites) cannot read 2 GiB or more.
  if (sizeBytes < 4096 || sizeBytes >= 2 ** 31)
    throw new Error(`--size must be from 4k to just under 2g (the readFileSync baselines cannot read more); got ${values.size}`);
  const timeMs = values.time ? Number(values.time) : 1000;
  if (!Number.isFinite(timeMs) || timeMs < 0) throw new Error(`--time must be a number of milliseconds`);
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const outDir = path.resolve(values.out ?? path.join('bench-results', stamp + (quick ? '-quick' : '')));
  const cacheDir = path.resolve(values.cache ?? path.join(os.homedir(), '.cache', 'mmapkit-bench'));
  const started = Date.now();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-bench-'));
  const workDir = path.join(dataDir, 'work');
  fs.mkdirSync(workDir);
  const cleanup = (): void => {
    if (!values.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const csvPath = path.join(dataDir, 'data.csv');
    process.stderr.write(`mmapkit bench: ${chosen.length} suite(s), ${formatBytes(sizeBytes)} CSV in ${dataDir}${quick ? ' (quick)' : ''}\n`);
    const t0 = Date.now();
    const tty = process.stderr.isTTY === true;
    let shown = 0;
    const csvSum = generateCsv(csvPath, sizeBytes, (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (tty) process.stderr.write(`\r  generating data.csv: ${String(pct).padStart(3)}% of ${formatBytes(total)}`);
      else if (pct >= shown + 25) {
        shown = pct - (pct % 25);
        process.stderr.write(`  generating data.csv: ${pct}% of ${formatBytes(total)}\n`);
      }
    });
    process.stderr.write(
      `${tty ? '\r' : ''}  generated data.csv: ${formatBytes(fs.statSync(csvPath).size)} in ${((Date.now() - t0) / 1000).toFixed(1)} s, sum ${csvSum}\n`,
    );
    const native = addonAvailable();
    if (native) ensureWarm(csvPath);
    else process.stderr.write(`  mmapkit's native addon is not available on ${process.platform}-${process.arch}: only the suites that need no addon run\n`);
    const machine = machineInfo(dataDir);
    const facts: Record<string, string | number | boolean> = {};
    try {
      facts.folios = folioInfo(csvPath).summary;
    } catch (err) {
      facts.folios = `unknown (${(err as Error).message})`;
    }
    process.stderr.write(`  ${machine.cpu}; ${machine.kernel}; node ${machine.node}; THP ${machine.thp.enabled ?? '?'}; large folios: ${facts.folios}\n`);

    const init: ContextInit = { suite: '', quick, sizeBytes: fs.statSync(csvPath).size, dataDir, csvPath, csvSum, cacheDir, timeMs };
    const outputs: SuiteOutput[] = [];
    for (const [i, s] of chosen.entries()) {
      process.stderr.write(`[${i + 1}/${chosen.length}] ${s.number}-${s.name}\n`);
      const ts = Date.now();
      const out = await runChild(s, init, workDir, quick ? 180_000 : 3_600_000);
      outputs.push(out);
      const failed = out.checks.filter((c) => !c.ok).length;
      process.stderr.write(
        `  ${s.name}: ${out.skipped ? `skipped (${out.skipped})` : out.error ? `FAILED (${out.error})` : 'done'}, ${out.checks.length - failed}/${out.checks.length} checks passed, ${((Date.now() - ts) / 1000).toFixed(1)} s\n`,
      );
      for (const [k, v] of Object.entries(out.facts ?? {})) facts[`${s.name}.${k}`] = v;
    }
    addRatios(outputs.flatMap((o) => o.rows));
    const ok = outputs.every((o) => !o.error && o.checks.every((c) => c.ok));
    const report: RunReport = {
      machine,
      facts,
      options: { quick, sizeBytes: init.sizeBytes, suites: chosen.map((s) => s.name), timeMs },
      suites: outputs,
      ok,
      durationSec: (Date.now() - started) / 1000,
    };
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2));
    fs.writeFileSync(path.join(outDir, 'report.md'), markdown(report));
    fs.writeFileSync(path.join(outDir, 'report.svg'), svgChart(report));
    writeCharts(report, outDir);
    const table = terminalTable(report);
    fs.writeFileSync(path.join(outDir, 'report.txt'), table + '\n');
    process.stdout.write(table + '\n');
    process.stdout.write(`reports: ${outDir}/report.{txt,json,md,svg}, charts: ${outDir}/headline.svg and ${outDir}/suite-*.svg\n`);
    return ok ? 0 : 1;
  } finally {
    cleanup();
  }
}
