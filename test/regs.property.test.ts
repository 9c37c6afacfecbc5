import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegisterWindow } from '../lib/regs';

// Property tests: a window over a file agrees with the file byte for byte, for every width, window
// start and offset; a refused access (out of bounds or unaligned) leaves the file untouched.
let dir: string;
let file: string;
const FILE_SIZE = 3 * 4096;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmapkit-regs-prop-'));
  file = path.join(dir, 'regs.bin');
  fs.writeFileSync(file, Buffer.alloc(FILE_SIZE));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const widths = [8, 16, 32, 64] as const;

describe('register windows over a file (properties)', () => {
  it('a write of any width lands at start + offset, little-endian, and reads back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: FILE_SIZE - 256 }),
        fc.integer({ min: 8, max: 256 }),
        fc.constantFrom(...widths),
        fc.nat(),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (start, length, width, rawOffset, rawValue) => {
          const bytes = width / 8;
          if (length < bytes) return;
          using w = openRegisterWindow({ path: file, offset: start, length, writable: true });
          // an aligned address inside the window
          let offset = rawOffset % (length - bytes + 1);
          offset -= (start + offset) % bytes;
          if (offset < 0) offset += bytes;
          if (offset + bytes > length) return;
          const value = BigInt.asUintN(width, rawValue);
          if (width === 64) w.write64(offset, value);
          else if (width === 32) w.write32(offset, Number(value));
          else if (width === 16) w.write16(offset, Number(value));
          else w.write8(offset, Number(value));
          const onDisk = fs.readFileSync(file).subarray(start + offset, start + offset + bytes);
          const expected = Buffer.alloc(8);
          expected.writeBigUInt64LE(value);
          expect(onDisk.equals(expected.subarray(0, bytes))).toBe(true);
          const back = width === 64 ? w.read64(offset) : BigInt(width === 32 ? w.read32(offset) : width === 16 ? w.read16(offset) : w.read8(offset));
          expect(back).toBe(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a refused access throws before touching anything', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: FILE_SIZE - 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(16, 32, 64),
        fc.integer({ min: -8, max: 80 }),
        (start, length, width, offset) => {
          const bytes = width / 8;
          const inside = offset >= 0 && offset + bytes <= length;
          const aligned = (start + offset) % bytes === 0;
          if (inside && aligned) return;
          const before = fs.readFileSync(file);
          using w = openRegisterWindow({ path: file, offset: start, length, writable: true });
          const write = (): void => {
            if (width === 64) w.write64(offset, -1n);
            else if (width === 32) w.write32(offset, -1);
            else w.write16(offset, -1);
          };
          let code: string | undefined;
          try {
            write();
          } catch (err) {
            code = (err as { code?: string }).code;
          }
          expect(code).toBe(inside ? 'ERR_MMAPKIT_UNALIGNED' : 'ERR_OUT_OF_RANGE');
          expect(fs.readFileSync(file).equals(before)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
