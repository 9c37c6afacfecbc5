// The QEMU rigs' console protocol, shared by the hardware tests: a rig script (scripts/qemu/*/run.sh)
// boots a guest whose steps print `@@BEGIN name`, their output, then `@@END name rc=N`; exit status
// 77 with a `SKIP: reason` line on stderr means the rig cannot run on this machine.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface Rig {
  status: number | null;
  /** The guest's console, carriage returns removed. */
  console: string;
  stderr: string;
  steps: Map<string, { rc: number; out: string }>;
  /** Why the rig could not run here, or null. */
  skipped: string | null;
}

/** Runs scripts/qemu/<script> with args from the repository root and collects its steps. */
export function runRig(root: string, script: string, args: string[] = []): Promise<Rig> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(root, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (status) => {
      out = out.replace(/\r/g, '');
      const steps = new Map<string, { rc: number; out: string }>();
      for (const m of out.matchAll(/^@@BEGIN (\S+)\n([\s\S]*?)^@@END \1 rc=(\d+)/gm)) steps.set(m[1], { rc: Number(m[3]), out: m[2] });
      const skip = /^SKIP: (.*)$/m.exec(err);
      resolve({ status, console: out, stderr: err, steps, skipped: status === 77 ? (skip?.[1] ?? 'the rig reported it cannot run here') : null });
    });
  });
}
