// Helpers for tests: temporary folders and running mmapkit in child Node processes.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect } from 'vitest';
import type { Mapping } from '../../lib';

/** The repository root (the package's own folder). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** A fresh temporary folder, removed at process exit. */
export function tempDir(prefix = 'mmapkit-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CommonJS script in a child Node process. `mmapkit` inside the script is the compiled
 * package (dist/), already required as the variable `mk`.
 */
export function runNode(
  script: string,
  options: { args?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeout?: number; input?: string } = {},
): ChildResult {
  const prelude = `const mk = require(${JSON.stringify(ROOT)});\n`;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [...(options.nodeArgs ?? []), '-e', prelude + script, '--', ...(options.args ?? [])], {
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    env: { ...process.env, ...options.env },
    input: options.input,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The seed's tiny.csv, exactly as its hex dump lists it. */
export const TINY_CSV = Buffer.from([0x31, 0x32, 0x2c, 0x33, 0x34, 0x0a, 0x35, 0x2c, 0x36, 0x0a, 0x37, 0x38, 0x39, 0x2c, 0x31, 0x0a]);

/** Returns track(m): every mapping passed to it is unmapped after each test. */
export function mappingTracker(): (m: Mapping) => Mapping {
  const open: Mapping[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.unmap();
  });
  return (m) => {
    open.push(m);
    return m;
  };
}

/**
 * Runs fn and checks that it throws an error of class `cls` with `code` (and, when given, exactly
 * `message`, or a message matching it).
 */
export function expectCode(fn: () => unknown, cls: abstract new (...args: never[]) => Error, code: string, message?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(cls);
  expect((thrown as { code: string }).code).toBe(code);
  if (message !== undefined) {
    if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(message);
  }
}

/** The bytewise loop, written out with BigInt (the reference every method is compared against). */
export function referenceCsvSum(b: Uint8Array): { sum: bigint; pending: bigint } {
  let sum = 0n;
  let x = 0n;
  for (const c of b) {
    if (c >= 0x30 && c <= 0x39) x = BigInt.asUintN(64, x * 10n + BigInt(c - 0x30));
    else if (c === 0x2c || c === 0x0a) {
      sum = BigInt.asUintN(64, sum + x);
      x = 0n;
    }
  }
  return { sum: BigInt.asIntN(64, sum), pending: x };
}
