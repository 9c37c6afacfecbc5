/**
 * `mmapkit bench`: the benchmark runner lives in bench/ (compiled to dist/bench/ by
 * bench/tsconfig.json). In a development checkout it is compiled on the fly when its sources are
 * newer than the compiled files.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../native';
import { codedError } from '../errors';
import { defineCommand } from './command';

function newest(dir: string): number {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Compiles bench/ when its sources are newer than dist/bench/main.js and TypeScript is at hand. */
export function ensureBenchBuilt(root: string): string {
  const main = path.join(root, 'dist', 'bench', 'main.js');
  const src = path.join(root, 'bench');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const stale = !fs.existsSync(main) || newest(src) > fs.statSync(main).mtimeMs;
  if (stale && fs.existsSync(path.join(src, 'tsconfig.json')) && fs.existsSync(tsc)) {
    process.stderr.write('mmapkit bench: compiling bench/ …\n');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(src, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`mmapkit bench: tsc reported errors in bench/ (continuing with what was emitted):\n${r.stdout}${r.stderr}`);
    if (fs.existsSync(main)) fs.utimesSync(main, new Date(), new Date());
  }
  if (!fs.existsSync(main)) {
    throw codedError('ERR_MMAPKIT_UNSUPPORTED', `the benchmark runner is not built (${main} is missing); run 'npm run build:bench' in a checkout of mmapkit`);
  }
  return main;
}

/**
 * The options are declared here so that `mmapkit bench` checks them (exit status 2, sizes in the one
 * size grammar) and prints its help like every other command; the runner in bench/ does the work.
 */
export const command = defineCommand({
  name: 'bench',
  summary: 'benchmarks: mmap vs read(), the CSV sum, page faults, the TLB (generates its own data)',
  usage: 'mmapkit bench [options]',
  description: `Runs the benchmark suites, each in a fresh Node process, on data it generates in a temporary
folder, and writes a terminal table plus report.json, report.md and report.svg.`,
  options: {
    quick: { type: 'boolean', help: 'every suite on tiny sizes; checks the sums only (timings meaningless)' },
    suite: { type: 'string', arg: 'NAME', help: 'run only these suites (repeat or comma-separate; names or numbers, see --list)' },
    size: {
      type: 'size',
      min: 4096,
      max: 2 ** 31 - 1,
      help: 'size of the generated CSV (default 256m; 4m with --quick), e.g. 64m, 1g;\nunder 2g (fs.readFileSync, a baseline, cannot read more)',
    },
    time: { type: 'integer', arg: 'MS', min: 1, max: 3_600_000, help: 'minimum time per measured task in milliseconds (default 1000)' },
    out: { type: 'string', arg: 'DIR', help: 'folder for the reports (default ./bench-results/<date>)' },
    cache: { type: 'string', arg: 'DIR', help: 'folder for npm installs of comparison packages (default ~/.cache/mmapkit-bench)' },
    keep: { type: 'boolean', help: 'keep the generated data folder' },
    list: { type: 'boolean', help: 'list the suites and exit' },
  },
  positionals: { max: 0 },
  async run({ argv }) {
    // Checked above; the runner parses the same arguments again.
    const main = ensureBenchBuilt(packageRoot());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(main) as { run(argv: string[]): Promise<number> };
    return mod.run(argv);
  },
});

export const summary = command.summary;
export const run = command.run;
