// The error table: every code builds an error of its one class, with its code and a message of
// the table's shape; the addon's factory follows the table; no error is built outside
// lib/errors.ts, and no argument check or "Received" helper lives outside lib/validate.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_TABLE,
  MmapkitError,
  MmapkitSystemError,
  classOf,
  codedError,
  isTableCode,
  nativeErrorFactory,
  received,
  setErrorAudit,
  shown,
  type ArgumentCode,
  type ErrorCode,
} from '../lib/errors';
import { auditProblem } from './support/audit';

const CLASSES = { TypeError, RangeError, MmapkitError } as const;
const ARGUMENT_CODES: readonly ArgumentCode[] = ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'];
const codes = Object.keys(ERROR_TABLE) as ErrorCode[];

const VALUES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  2 ** 53,
  5n,
  -(2n ** 70n),
  '',
  'x',
  'a'.repeat(40),
  Symbol('s'),
  {},
  [],
  Object.create(null),
  Buffer.from('secret'),
  () => 1,
  function named() {
    /* a named function */
  },
  new Proxy(
    {},
    {
      get() {
        throw new Error('a getter that throws');
      },
    },
  ),
];

function root(...parts: string[]): string {
  return path.join(__dirname, '..', ...parts);
}

function libFiles(dir = root('lib')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? libFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the error table', () => {
  it("holds Node's three argument codes with Node's classes and mmapkit's own as MmapkitError", () => {
    expect(ERROR_TABLE.ERR_INVALID_ARG_TYPE.base).toBe('TypeError');
    expect(ERROR_TABLE.ERR_INVALID_ARG_VALUE.base).toBe('TypeError');
    expect(ERROR_TABLE.ERR_OUT_OF_RANGE.base).toBe('RangeError');
    for (const code of codes) {
      if (code.startsWith('ERR_MMAPKIT_')) expect(ERROR_TABLE[code].base, code).toBe('MmapkitError');
      expect(isTableCode(code)).toBe(true);
      expect(classOf(code)).toBe(ERROR_TABLE[code].base);
    }
    expect(isTableCode('ERR_NO_SUCH_CODE')).toBe(false);
    expect(isTableCode('toString')).toBe(false);
    expect(classOf('ENOENT')).toBe('MmapkitSystemError');
    expect(classOf('E5606')).toBe('MmapkitSystemError');
    expect(classOf('SIGSEGV')).toBe('SimSignal');
    expect(classOf('ERR_NO_SUCH_CODE')).toBeUndefined();
  });

  it('every code builds its one class, with its code and the sentence it is given', () => {
    for (const code of codes) {
      const err = codedError(code, `Something about ${code} happened`);
      const cls = CLASSES[ERROR_TABLE[code].base];
      expect(err, code).toBeInstanceOf(cls);
      if (cls !== MmapkitError) expect(Object.getPrototypeOf(err), code).toBe(cls.prototype);
      expect(err.code).toBe(code);
      expect(err.name).toBe(ERROR_TABLE[code].base);
      expect(err.message).toBe(`Something about ${code} happened`);
      expect(Object.keys(err)).toContain('code');
      expect(auditProblem(err)).toBeUndefined();
    }
  });

  it('the argument codes write one message form, "Received" as received() or shown() says', () => {
    for (const value of VALUES) {
      const t = codedError('ERR_INVALID_ARG_TYPE', 'opt.x', 'of type number', value);
      expect(t.message).toBe(`The "opt.x" argument must be of type number. Received ${received(value)}`);
      const v = codedError('ERR_INVALID_ARG_VALUE', 'mode', "one of 'a', 'b'", value);
      expect(v.message).toBe(`The "mode" argument must be one of 'a', 'b'. Received ${shown(value)}`);
      const r = codedError('ERR_OUT_OF_RANGE', 'length', 'an integer >= 0', value);
      expect(r.message).toBe(`The value of "length" is out of range. It must be an integer >= 0. Received ${shown(value)}`);
      for (const e of [t, v, r]) {
        expect(e.message).toMatch(
          /^The (value of )?"[^"]+" (argument must be|is out of range\. It must be) .+\. Received (undefined|null|type \w+ \(.*\)|an instance of \w+|an object|function .+|-?[\d.e+]+|NaN|-?Infinity|-?\d+n|'.*')$/s,
        );
        expect(auditProblem(e)).toBeUndefined();
      }
    }
    expect(received(5)).toBe('type number (5)');
    expect(received('a'.repeat(40))).toBe(`type string ('${'a'.repeat(25)}...')`);
    expect(received(Buffer.from('secret'))).toBe('an instance of Buffer');
    expect(received(() => 1)).toBe('function (anonymous)');
    expect(shown(-1)).toBe('-1');
    expect(shown(2n ** 64n)).toBe('18446744073709551616n');
    expect(shown('rw')).toBe("'rw'");
    for (const code of ARGUMENT_CODES) expect(ERROR_TABLE[code].message.length).toBe(3);
  });

  it("the addon's factory takes the class from the table, keeps its calling contract, and audits what it builds", () => {
    // As native/binding/errors.cc calls it: ('usage', class, code, message).
    const unaligned = nativeErrorFactory('usage', 'RangeError', 'ERR_MMAPKIT_UNALIGNED', '16-bit access at offset 0x1 is unaligned');
    expect(unaligned).toBeInstanceOf(MmapkitError);
    expect(unaligned).toMatchObject({ code: 'ERR_MMAPKIT_UNALIGNED', message: '16-bit access at offset 0x1 is unaligned' });
    const value = nativeErrorFactory('usage', 'TypeError', 'ERR_INVALID_ARG_VALUE', 'bad');
    expect(Object.getPrototypeOf(value)).toBe(TypeError.prototype);
    const closed = nativeErrorFactory('usage', 'Error', 'ERR_MMAPKIT_CLOSED', 'The register window is closed');
    expect(closed).toBeInstanceOf(MmapkitError);
    const sys = nativeErrorFactory('system', 2, 'open', '/x', 'No such file or directory');
    expect(sys).toBeInstanceOf(MmapkitSystemError);
    expect(auditProblem(sys)).toBeUndefined();
    // A code the table lacks (an addon newer than lib/): the class the addon names, and the audit
    // installed by test/support/error-audit.ts is told.
    const seen: string[] = [];
    const before = setErrorAudit((err) => seen.push(err.code));
    expect(typeof before).toBe('function');
    try {
      const odd = nativeErrorFactory('usage', 'RangeError', 'ERR_FROM_A_NEWER_ADDON', 'm');
      expect(Object.getPrototypeOf(odd)).toBe(RangeError.prototype);
      expect(auditProblem(odd)).toMatch(/not in the error table/);
    } finally {
      setErrorAudit(before);
    }
    expect(seen).toEqual(['ERR_FROM_A_NEWER_ADDON']);
  });

  it('the audit refuses a code outside the table and a code thrown as another class', () => {
    expect(auditProblem(Object.assign(new RangeError('x'), { code: 'ERR_INVALID_ARG_VALUE' }))).toMatch(/thrown as RangeError, the table says TypeError/);
    expect(auditProblem(new MmapkitError('ERR_OUT_OF_RANGE', 'x'))).toMatch(/the table says RangeError/);
    expect(auditProblem(Object.assign(new TypeError('x'), { code: 'ERR_MMAPKIT_CLOSED' }))).toMatch(/the table says MmapkitError/);
    expect(auditProblem(new MmapkitError('ERR_X', 'x'))).toMatch(/not in the error table/);
    expect(auditProblem(new Error('x'))).toMatch(/no code/);
  });
});

describe('one place builds errors, one place checks arguments', () => {
  const files = libFiles();

  it('no error is constructed in lib/ outside lib/errors.ts', () => {
    const found: string[] = [];
    for (const f of files) {
      if (f === root('lib', 'errors.ts')) continue;
      fs.readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (
            /\bnew (Error|TypeError|RangeError|SyntaxError|MmapkitError|MmapkitSystemError)\(|Object\.assign\(new |\bextends (Error|TypeError|RangeError)\b/.test(
              line,
            )
          ) {
            found.push(`${path.relative(root(), f)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(found).toEqual([]);
  });

  it('no copy of the "Received" helper and no hand-built ERR_INVALID_ARG_TYPE message remain outside errors.ts and validate.ts', () => {
    const found: string[] = [];
    for (const f of files) {
      if (f === root('lib', 'errors.ts') || f === root('lib', 'validate.ts')) continue;
      fs.readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/function (describe|describeValue|received)\w*\(|Received type \$\{typeof|Received \$\{(describe|describeValue)\(/.test(line)) {
            found.push(`${path.relative(root(), f)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(found).toEqual([]);
    expect(fs.existsSync(root('lib', 'sim', 'check.ts'))).toBe(false);
    expect(fs.existsSync(root('lib', 'sim', 'vm', 'args.ts'))).toBe(false);
  });

  it('every code lib/ names is in the table (or is an errno name or a simulated signal)', () => {
    const unknown = new Set<string>();
    for (const f of files) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/'(ERR_[A-Z_]+)'/g)) {
        if (!isTableCode(m[1]) && m[1] !== 'ERR_PARSE_ARGS_') unknown.add(`${path.relative(root(), f)}: ${m[1]}`);
      }
    }
    expect([...unknown]).toEqual([]);
  });
});
