// Compiles lib/ to dist/ once before the tests, so tests that run mmapkit in child processes
// (which load the compiled package) see the current sources.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export default function setup(): void {
  const root = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'esm-wrapper.js')], { cwd: root, stdio: 'inherit' });
}
