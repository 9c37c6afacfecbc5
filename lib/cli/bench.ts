/**
 * `mmapkit bench`: the benchmark runner lives in bench/ (compiled to dist/bench/ by
 * bench/tsconfig.json). In a development checkout it is compiled on the fly when its sources are
 * newer than the compiled files.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../native';
import { usageError } from '../errors';

export const summary = 'benchmarks: mmap vs read(), the CSV sum, page faults, the TLB (generates its own data)';

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
    throw usageError('ERR_MMAPKIT_UNSUPPORTED', `the benchmark runner is not built (${main} is missing); run 'npm run build:bench' in a checkout of mmapkit`);
  }
  return main;
}

export async function run(argv: string[]): Promise<number> {
  const main = ensureBenchBuilt(packageRoot());
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(main) as { run(argv: string[]): Promise<number> };
  return mod.run(argv);
}
