// Random arguments at every public function, constructor and method (the surface read from
// dist/index.d.ts, as the soak fuzz reads it): whatever is thrown, synchronously or as a
// rejection, carries a code of the error table and is of that code's one class.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as mk from '../lib';
import { auditProblem } from './support/audit';

interface Param {
  name: string;
  type: string;
}
interface Api {
  functions: { name: string; params: Param[] }[];
  classes: { name: string; ctor: Param[] | null; methods: { name: string; kind: string; params?: Param[] }[]; statics: { name: string; params: Param[] }[] }[];
}
const { apiSurface } = createRequire(__filename)('./soak/api-surface.cjs') as { apiSurface(): Api };
const api = apiSurface();
const lib = mk as unknown as Record<string, unknown>;

// Calls that open devices as root (/dev/mem, I/O ports, GPIO), wait without a timeout (futexes),
// read a descriptor to its end (csvSumFile given this runner's own descriptors) or remove shared
// memory other tests may hold: they are covered by their own tests and by the soak fuzz.
const SKIP = new Set([
  'openRegisterWindow',
  'openPorts',
  'openPciBar',
  'openUio',
  'openRaspberryPiGpio',
  'detectRaspberryPi',
  'futexWait',
  'futexWaitAsync',
  'csvSumFile',
  'unlinkSharedMemory',
  'RaspberryPiGpio',
  'Ports',
  'RegisterWindow',
  'EduDriver',
]);

const memfd = mk.createMemfd('errors-fuzz', { size: 4 * 4096 });
const mapping = memfd.map();
const scheduler = new mk.SimScheduler();
const bus = new mk.SimBus({ scheduler });
bus.map(0x1000, new mk.SimRam('ram', 0x1000));
const live = {
  buffer: mapping.buffer.subarray(0, 64),
  words: new Int32Array(mapping.buffer.buffer, mapping.buffer.byteOffset, 8),
  window: mk.simWindow(bus, 0x1000, 0x100),
  scheduler,
  bus,
  fn: () => 1,
  throwing: () => {
    throw new Error('a callback that throws');
  },
};
afterAll(() => {
  mapping.unmap();
  memfd.close();
});

const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 20000 }),
  fc.double(),
  fc.constantFrom(0, 1, 4, 8, 32, 64, 4095, 4096, 4097, 2 ** 31, 2 ** 32 + 1, 2 ** 53, -1, NaN, Infinity, -0),
  fc.bigInt({ min: -5n, max: 2n ** 64n }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(undefined, null, true, false, {}, [], 'readonly', 'readwrite', 'none', 'read', 'write', 'auto', 'js', 'bcm2711', 'rp1', 'op', '4,5'),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(...Object.keys(live)).map((k) => live[k as keyof typeof live] as unknown),
  fc.record(
    { offset: fc.integer({ min: -2, max: 20000 }), length: fc.integer({ min: -2, max: 20000 }), size: fc.integer({ min: -2, max: 5000 }) },
    { requiredKeys: [] },
  ),
);

const problems: string[] = [];
const codes = new Set<string>();

function judge(name: string, err: unknown): void {
  const p = auditProblem(err);
  if (p !== undefined && problems.length < 20) problems.push(`${name}: ${p}`);
  else if (p === undefined) codes.add((err as { code: string }).code);
}

/** Runs `fn`, judging what it throws or what its promise rejects with (a promise is given 50 ms). */
async function call(name: string, fn: () => unknown): Promise<unknown> {
  try {
    const r = fn();
    if (r instanceof Promise) {
      await Promise.race([r.catch((err: unknown) => judge(name, err)), new Promise((resolve) => setTimeout(resolve, 50))]);
      return undefined;
    }
    return r;
  } catch (err) {
    judge(name, err);
    return undefined;
  }
}

function dispose(x: unknown): void {
  for (const m of ['close', 'unmap', 'dispose']) {
    const f = (x as Record<string, unknown> | null)?.[m];
    if (typeof f === 'function') {
      try {
        (f as () => void).call(x);
      } catch {
        /* already closed, or not closable */
      }
      return;
    }
  }
}

const functions = api.functions.filter((f) => !SKIP.has(f.name) && !f.name.includes('.') && typeof lib[f.name] === 'function');
const classes = api.classes.filter((c) => !SKIP.has(c.name) && typeof lib[c.name] === 'function');
const args = fc.array(anyValue, { minLength: 1, maxLength: 4 });

describe("every error the public API throws is in the table, with the table's class", () => {
  it('functions with random arguments', async () => {
    expect(functions.length).toBeGreaterThan(60);
    const runs = fc.sample(fc.tuple(fc.constantFrom(...functions), args), { numRuns: 3000, seed: 20261206 });
    for (const [f, a] of runs) {
      const r = await call(f.name, () => (lib[f.name] as (...x: unknown[]) => unknown)(...a));
      if (r !== undefined && typeof r === 'object' && !(r instanceof Promise)) dispose(r);
    }
    expect(problems).toEqual([]);
  });

  it('constructors, static methods and the methods of live instances with random arguments', async () => {
    const runs = fc.sample(fc.tuple(fc.constantFrom(...classes), args, args, fc.nat()), { numRuns: 2000, seed: 20261207 });
    for (const [c, ctorArgs, methodArgs, pick] of runs) {
      const C = lib[c.name] as new (...x: unknown[]) => object;
      if (c.statics.length > 0) {
        const s = c.statics[pick % c.statics.length];
        // EventEmitter's own statics (on, once …) are Node's to check.
        if (!(s.name in EventEmitter))
          await call(`${c.name}.${s.name}`, () => (C as unknown as Record<string, (...x: unknown[]) => unknown>)[s.name](...methodArgs));
      }
      if (!c.ctor) continue;
      await call(`new ${c.name}`, () => dispose(new C(...ctorArgs)));
      // A default instance (most simulator classes take only options), its methods fuzzed.
      let obj: object | undefined;
      try {
        obj = new C();
      } catch {
        continue;
      }
      // Methods a class inherits from Node's EventEmitter throw Node's own errors (its arguments are
      // Node's to check), so they are not fuzzed here.
      const methods = c.methods.filter(
        (m) => m.kind === 'method' && !['close', 'unmap', 'dispose', 'run', 'runFor', 'runUntil'].includes(m.name) && !(m.name in EventEmitter.prototype),
      );
      if (methods.length > 0) {
        const m = methods[pick % methods.length];
        await call(`${c.name}#${m.name}`, () => (obj as Record<string, (...x: unknown[]) => unknown>)[m.name](...methodArgs));
      }
      dispose(obj);
    }
    expect(problems).toEqual([]);
    // The fuzz reached the codes it is about (not only one kind of refusal).
    for (const code of ['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE']) expect(codes).toContain(code);
  });
});
