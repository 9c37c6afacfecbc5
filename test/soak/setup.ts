// Global setup of `npm run test:soak`: compiles dist/ as the normal test run does, opens the summary
// file the items append their figures to, and prints those figures together at the end.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import compile from '../support/global-setup';

export default function setup(project: TestProject): () => void {
  compile();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-soak-')), 'summary.txt');
  fs.writeFileSync(file, '');
  project.provide('soakSummary', file);
  const t0 = Date.now();
  return () => {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n').filter((l) => l.startsWith('soak: '));
    process.stdout.write(
      `\nsoak summary (${os.cpus().length} CPUs, Node ${process.version}, ${((Date.now() - t0) / 1000).toFixed(0)} s):\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
    );
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  };
}
