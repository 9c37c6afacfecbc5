// Misuse throws before any syscall, with exact messages and stable codes; system errors look
// like Node's fs errors.
import { describe, expect, it } from 'vitest';
import { MmapkitError, MmapkitSystemError, errnoName, mapAnonymous, mapFile, openSharedMemory } from '../lib';
import { nativeErrorFactory } from '../lib/errors';
import { runNode } from './support/helpers';

function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

describe('errors', () => {
  it('wrong types are TypeErrors with ERR_INVALID_ARG_TYPE and an exact message', () => {
    const e = caught(() => mapAnonymous('12' as never));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(e.message).toBe(`The "length" argument must be of type number or bigint. Received type string ('12')`);
    const f = caught(() => mapFile({} as never));
    expect(f.message).toBe('The "file" argument must be a path (string) or a file descriptor (number). Received an instance of Object');
    const g = caught(() => mapAnonymous(8, { populate: 'yes' } as never));
    expect(g.message).toBe(`The "options.populate" argument must be of type boolean. Received type string ('yes')`);
  });

  it('negative, fractional and too large values are RangeErrors with ERR_OUT_OF_RANGE', () => {
    for (const bad of [-1, 1.5, 2 ** 53, -1n, 2n ** 60n]) {
      const e = caught(() => mapAnonymous(bad as never));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
    }
    expect(caught(() => mapAnonymous(-1)).message).toBe(
      'The value of "length" is out of range. It must be a non-negative integer no larger than 2^53 - 1. Received -1',
    );
    const m = mapAnonymous(4096);
    expect(caught(() => m.read(4000, 200)).message).toBe('The range 4000+200 is out of range: the mapping is 4096 bytes long');
    expect(caught(() => m.view(5000)).message).toBe(`The value of "offset" is out of range. It must be <= 4096 (the mapping's length). Received 5000`);
    m.unmap();
  });

  it('unknown options and bad choices are refused by name', () => {
    expect(caught(() => mapAnonymous(8, { popluate: true } as never)).message).toBe(
      'Unknown option "popluate" in "options". Known options: shared, populate, noReserve, hugePages, lock',
    );
    const e = caught(() => mapFile('/etc/hostname', { mode: 'rw' as never }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toBe(`The "options.mode" argument must be one of 'readonly', 'readwrite', 'private'. Received 'rw'`);
  });

  it('operations on an unmapped mapping throw MmapkitError ERR_MMAPKIT_CLOSED', () => {
    const m = mapAnonymous(4096);
    m.unmap();
    const e = caught(() => m.sync());
    expect(e).toBeInstanceOf(MmapkitError);
    expect(e.code).toBe('ERR_MMAPKIT_CLOSED');
    expect(e.message).toBe('The mapping has been unmapped');
  });

  it('system errors carry code, negative errno, syscall and path, like fs errors', () => {
    const e = caught(() => mapFile('/proc/self/nonexistent')) as MmapkitSystemError;
    expect(e).toBeInstanceOf(MmapkitSystemError);
    expect(e).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: '/proc/self/nonexistent' });
    const s = caught(() => openSharedMemory('/mmapkit-surely-missing')) as MmapkitSystemError;
    expect(s.message).toBe(`ENOENT: no such file or directory, shm_open '/mmapkit-surely-missing'`);
    expect(errnoName(13)).toBe('EACCES');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(99999)).toBe('E99999');
  });

  it('errors from mlock and /dev/mem carry advice on a second line', () => {
    // Root is not limited here, so the native factory is called as the addon calls it.
    const lock = nativeErrorFactory('system', 1, 'mlock', '', 'Operation not permitted');
    expect(lock.message).toBe(
      "EPERM: operation not permitted, mlock\nLocking memory is limited by RLIMIT_MEMLOCK ('ulimit -l'); raise it or run with CAP_IPC_LOCK.",
    );
    const mem = nativeErrorFactory('system', 1, 'mmap', '/dev/mem', 'Operation not permitted');
    expect(mem).toMatchObject({ code: 'EPERM', syscall: 'mmap', path: '/dev/mem' });
    expect(mem.message).toMatch(/iomem=relaxed/);
    expect(mem.message).toMatch(/\/dev\/gpiomem/);
  });
});

describe('the error API with bad arguments', () => {
  it('errnoName takes a number or a BigInt; other types and non-integers are coded errors', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(-2)).toBe('ENOENT');
    expect(errnoName(2n as unknown as number)).toBe('ENOENT');
    expect(errnoName(5606)).toBe('E5606');
    expect(caught(() => errnoName('2' as unknown as number))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
    expect(caught(() => errnoName(1.5))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(caught(() => errnoName((2n ** 64n) as unknown as number))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('the error constructors check their arguments by type and name what they received', () => {
    const e = new MmapkitSystemError(5606n as unknown as number, 'open');
    expect(e).toMatchObject({ code: 'E5606', errno: -5606, syscall: 'open' });
    const bad = caught(() => new MmapkitSystemError(6, Buffer.from('xyz') as unknown as string));
    expect(bad).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(bad.message).toBe('The "syscall" argument must be of type string. Received an instance of Buffer');
    expect(caught(() => new MmapkitSystemError(6, 'open', 5 as unknown as string))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(caught(() => new MmapkitSystemError(6, 'open', undefined, new Uint8Array(2) as unknown as string))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(caught(() => new MmapkitError(5 as unknown as string, 'x'))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(caught(() => new MmapkitError('ERR_X', {} as unknown as string))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(new MmapkitError('ERR_X', 'message')).toMatchObject({ code: 'ERR_X', message: 'message' });
  });

  it('a Buffer over a protected page given to them is described, never read (child process)', () => {
    const r = runNode(`
      const m = mk.mapAnonymous(4096);
      const b = m.buffer;
      m.protect('none');
      const out = [];
      for (const f of [() => mk.errnoName(b), () => new mk.MmapkitSystemError(2, 'open', b), () => new mk.MmapkitError('ERR_X', b), () => mk.uartPutc(b, 1)]) {
        try { f(); out.push('returned'); } catch (e) { out.push(e.code + ': ' + e.message.split('. Received ')[1]); }
      }
      console.log(JSON.stringify(out));
    `);
    expect(r.signal).toBeNull();
    expect(JSON.parse(r.stdout)).toEqual([
      'ERR_INVALID_ARG_TYPE: an instance of Buffer',
      'ERR_INVALID_ARG_TYPE: an instance of Buffer',
      'ERR_INVALID_ARG_TYPE: an instance of Buffer',
      'ERR_INVALID_ARG_TYPE: an instance of Buffer',
    ]);
  });
});
