// Compiles lib/ to dist/ once before the tests, so tests that run mmapkit in child processes
// (which load the compiled package) see the current sources. Type errors do not stop the
// emit; test/core.typecheck.test.ts reports them as a failing test.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export default function setup(): void {
  const root = path.resolve(__dirname, '..', '..');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) process.stderr.write(`note: tsc reported type errors while compiling dist/ (see the typecheck test)\n`);
  const wrap = spawnSync(process.execPath, [path.join(root, 'scripts', 'esm-wrapper.js')], { cwd: root, encoding: 'utf8' });
  if (wrap.status !== 0) throw new Error(`could not write dist/index.mjs:\n${wrap.stderr}`);
}
