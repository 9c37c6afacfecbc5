// Random arguments at every public entry point: the process never crashes and every error
// carries a string code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as mk from '../lib';
import { hasCode } from '../lib';
import { tempDir } from './support/helpers';

const dir = tempDir();
const file = path.join(dir, 'fuzz.bin');
fs.writeFileSync(file, Buffer.alloc(3 * 4096 + 17, 7));

const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 20000 }),
  fc.double(),
  fc.constantFrom(0, 1, 4095, 4096, 4097, 2 ** 31, 2 ** 32 + 1, 2 ** 53, -1, NaN, Infinity, -0),
  fc.bigInt({ min: -5n, max: 2n ** 64n }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(undefined, null, true, false, {}, [], 'readonly', 'readwrite', 'private', 'none', 'read', 'sequential', 'hugepage'),
  fc.uint8Array({ maxLength: 64 }),
  fc.record({ offset: fc.integer({ min: -2, max: 20000 }), length: fc.integer({ min: -2, max: 20000 }) }),
  fc.record({ mode: fc.constantFrom('readonly', 'readwrite', 'private', 'bogus'), offset: fc.nat(20000), populate: fc.boolean() }, { requiredKeys: [] }),
);

const methods = [
  'read',
  'write',
  'view',
  'touch',
  'sync',
  'advise',
  'protect',
  'lock',
  'unlock',
  'residency',
  'resize',
  'load8',
  'load16',
  'load32',
  'load64',
  'store8',
  'store16',
  'store32',
  'store64',
  'unmap',
] as const;

function expectCoded(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!hasCode(err)) throw new Error(`error without a code: ${String(err)}`, { cause: err });
  }
}

describe('fuzzing the public API', () => {
  it('mapFile and mapAnonymous with random arguments', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        expectCoded(() => mk.mapFile(a as never, b as never)?.unmap());
        expectCoded(() => mk.mapFile(file, b as never)?.unmap());
        expectCoded(() => {
          // Keep anonymous sizes sane so the fuzzer does not reserve terabytes.
          const len = typeof a === 'number' && a > 1 << 24 ? 4096 : a;
          mk.mapAnonymous(len as never, b as never)?.unmap();
        });
      }),
      { numRuns: 1500 },
    );
  });

  it('every Mapping method, before and after unmap, with random arguments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('readonly', 'readwrite', 'private', 'anon'),
        fc.array(fc.tuple(fc.constantFrom(...methods), anyValue, anyValue, anyValue), { maxLength: 12 }),
        (kind, calls) => {
          const m = kind === 'anon' ? mk.mapAnonymous(2 * 4096 + 5) : mk.mapFile(file, { mode: kind as mk.MapMode });
          try {
            for (const [name, a, b, c] of calls) {
              if (name === 'resize' && typeof a === 'number' && a > 1 << 24) continue;
              expectCoded(() => (m[name] as (...args: unknown[]) => unknown)(a, b, c));
            }
          } finally {
            m.unmap();
          }
          for (const [name, a, b, c] of calls) expectCoded(() => (m[name] as (...args: unknown[]) => unknown)(a, b, c));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('file helpers, shared memory, memfd and futex with random arguments', () => {
    const fd = mk.createMemfd('fuzz', { size: 4096 });
    const m = fd.map();
    const words = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 8);
    fc.assert(
      fc.property(anyValue, anyValue, anyValue, (a, b, c) => {
        expectCoded(() => mk.fileResidency(a as never, b as never));
        expectCoded(() => mk.touchFile(a as never));
        expectCoded(() => mk.openSharedMemory(a as never, b as never)?.close());
        expectCoded(() => mk.createMemfd(a as never, b as never)?.close());
        expectCoded(() => fd.seal(a as never));
        expectCoded(() => mk.futexWait(words, a as never, b as never, 0));
        expectCoded(() => mk.futexWake(a as never, b as never, c as never));
        expectCoded(() => mk.futexWait(a as never, b as never, c as never, 0));
      }),
      { numRuns: 800 },
    );
    m.unmap();
    fd.close();
  });
});
