// Files that are not regular files: FIFOs (with and without a writer), pipes and sockets as
// standard input, Unix socket paths, /proc files whose stat size is 0, character devices. Whatever
// could hang (open(2) of a FIFO with no writer, a read that never sees end of file) runs in a child
// process under a spawnSync timeout, and the test asserts its exit status and what it printed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvSum, csvSumFile, evictFile, fileResidency, mapFile, openRegisterWindow, touchFile } from '../lib';
import { ROOT, runNode, tempDir, type ChildResult } from './support/helpers';

const dir = tempDir('mmapkit-nonregular-');
/** A child that hangs is killed after this long; the assertions then fail on its signal. */
const TIMEOUT = 20_000;

function mkfifo(name: string): string {
  const p = path.join(dir, name);
  const r = spawnSync('mkfifo', [p]);
  expect(r.status).toBe(0);
  expect(fs.statSync(p).isFIFO()).toBe(true);
  return p;
}

/** How the shell lines start node: under timeout(1), so a hung child cannot outlive the test. */
const NODE = `timeout -k 2 ${TIMEOUT / 1000 - 5} "$NODE"`;

/** Runs a shell command line with SCRIPT set to a script run by `node -e "$SCRIPT"` (mmapkit as `mk`). */
function shell(line: string, script: string): ChildResult {
  const r = spawnSync('sh', ['-c', line], {
    encoding: 'utf8',
    timeout: TIMEOUT,
    env: { ...process.env, NODE: process.execPath, SCRIPT: `const mk = require(${JSON.stringify(ROOT)});\n${script}` },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts a child ended by itself with status 0, and returns its output lines. */
function lines(r: ChildResult): string[] {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

// Prints, per call, its result or its error's code (and fileType when there is one).
const PROBE = `
function probe(name, fn) {
  try {
    const v = fn();
    if (v && typeof v.unmap === 'function') v.unmap();
    if (v && typeof v.close === 'function') v.close();
    console.log(name, 'ok', typeof v === 'bigint' ? v + 'n' : '');
  } catch (e) {
    console.log(name, e.code, e.fileType ?? '', JSON.stringify(e.message));
  }
}
`;

describe('a FIFO with no writer is refused, not waited on', () => {
  it('mapFile, fileResidency, touchFile, evictFile and openRegisterWindow throw ERR_MMAPKIT_NOT_MAPPABLE (child process)', () => {
    const fifo = mkfifo('nowriter');
    const r = runNode(
      `${PROBE}
       const f = process.argv[1];
       probe('mapFile', () => mk.mapFile(f));
       probe('mapFile-readwrite', () => mk.mapFile(f, { mode: 'readwrite' }));
       probe('mapFile-length', () => mk.mapFile(f, { length: 4096 }));
       probe('mapFile-length0', () => mk.mapFile(f, { length: 0 }));
       probe('fileResidency', () => mk.fileResidency(f));
       probe('touchFile', () => mk.touchFile(f));
       probe('evictFile', () => mk.evictFile(f));
       probe('window', () => mk.openRegisterWindow({ path: f, offset: 0, length: 4 }));
       probe('window-writable', () => mk.openRegisterWindow({ path: f, offset: 0, length: 4, writable: true }));
       // The native open itself (O_NONBLOCK + fstat), as when the path becomes a FIFO after the check.
       const b = require(${JSON.stringify(path.join(ROOT, 'dist', 'native'))}).binding();
       probe('regsOpen', () => b.regsOpen(f, 0n, 4, false, 15));`,
      { args: [fifo], timeout: TIMEOUT },
    );
    const out = lines(r);
    expect(out.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'mapFile ERR_MMAPKIT_NOT_MAPPABLE',
      'mapFile-readwrite ERR_MMAPKIT_NOT_MAPPABLE',
      'mapFile-length ERR_MMAPKIT_NOT_MAPPABLE',
      'mapFile-length0 ERR_MMAPKIT_NOT_MAPPABLE',
      'fileResidency ERR_MMAPKIT_NOT_MAPPABLE',
      'touchFile ERR_MMAPKIT_NOT_MAPPABLE',
      'evictFile ERR_MMAPKIT_NOT_MAPPABLE',
      'window ERR_MMAPKIT_NOT_MAPPABLE',
      'window-writable ERR_MMAPKIT_NOT_MAPPABLE',
      'regsOpen ERR_MMAPKIT_NOT_MAPPABLE',
    ]);
    expect(out[0]).toBe(
      `mapFile ERR_MMAPKIT_NOT_MAPPABLE fifo ${JSON.stringify(`mapFile(): '${fifo}' is a FIFO (named pipe), which cannot be mapped (only regular files and devices can); read it with read() instead (csvSumFile() does)`)}`,
    );
    expect(out[9]).toContain(`openRegisterWindow(): '${fifo}' is a FIFO (named pipe)`);
  });
});

describe('a pipe or a socket as standard input', () => {
  it('mapFile(0) and fileResidency(0) refuse a pipe; csvSumFile(0) and csvSumFile("/dev/stdin") read it (child process)', () => {
    const r = shell(
      `printf '1,2\\n' | ${NODE} -e "$SCRIPT" && printf '40,2\\n' | ${NODE} -e "$SCRIPT" -- /dev/stdin`,
      `${PROBE}
       console.log('type', require('fs').fstatSync(0).isFIFO() ? 'fifo' : 'other');
       probe('mapFile', () => mk.mapFile(0));
       probe('mapFile-length', () => mk.mapFile(0, { length: 4096 }));
       probe('fileResidency', () => mk.fileResidency(0));
       probe('csvSumFile', () => mk.csvSumFile(process.argv[1] ?? 0));`,
    );
    const out = lines(r);
    expect(out.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual([
      'type fifo',
      'mapFile ERR_MMAPKIT_NOT_MAPPABLE fifo "mapFile():',
      'mapFile-length ERR_MMAPKIT_NOT_MAPPABLE fifo "mapFile():',
      'fileResidency ERR_MMAPKIT_NOT_MAPPABLE fifo "fileResidency():',
      'csvSumFile ok 3n',
      'type fifo',
      'mapFile ERR_MMAPKIT_NOT_MAPPABLE fifo "mapFile():',
      'mapFile-length ERR_MMAPKIT_NOT_MAPPABLE fifo "mapFile():',
      'fileResidency ERR_MMAPKIT_NOT_MAPPABLE fifo "fileResidency():',
      'csvSumFile ok 42n',
    ]);
    expect(out[1]).toContain('fd 0 is a pipe or FIFO');
  });

  it('csvSumFile(0) reads a standard input that is non-blocking, waiting for data that comes later (child process)', () => {
    // The inner script makes fd 0 non-blocking (Node does so once process.stdin is touched), then
    // sums it; the writer sends its second half after a pause, so read() first meets EAGAIN.
    const r = shell(
      `{ printf '1,2\\n'; sleep 0.3; printf '30,'; sleep 0.3; printf '4\\n'; } | ${NODE} -e "$SCRIPT"`,
      `process.stdin; // libuv opens the pipe and puts it in non-blocking mode
       const flags = /^flags:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/fdinfo/0', 'utf8'))[1];
       console.log((parseInt(flags, 8) & require('fs').constants.O_NONBLOCK) !== 0 ? 'nonblocking' : 'blocking');
       console.log(String(mk.csvSumFile(0)));
       process.stdin.destroy();`,
    );
    expect(lines(r)).toEqual(['nonblocking', '37']);
  });

  it('a socket as standard input (spawn with input): mapFile(0) refuses it, csvSumFile(0) reads it (child process)', () => {
    const r = runNode(
      `${PROBE}
       const st = require('fs').fstatSync(0);
       console.log('type', st.isSocket() ? 'socket' : st.isFIFO() ? 'fifo' : 'other');
       probe('mapFile', () => mk.mapFile(0));
       probe('csvSumFile', () => mk.csvSumFile(0, { method: 'js' }));`,
      { input: '1,2\n5,', timeout: TIMEOUT },
    );
    const out = lines(r);
    const type = out[0].split(' ')[1];
    expect(['socket', 'fifo']).toContain(type);
    expect(out[1]).toMatch(new RegExp(`^mapFile ERR_MMAPKIT_NOT_MAPPABLE ${type} `));
    expect(out[2]).toBe('csvSumFile ok 8n');
  });
});

describe('csvSumFile on a FIFO', () => {
  it('waits for the writer, reads across its writes and ends at end of file (child process)', () => {
    const fifo = mkfifo('csv');
    // The reader starts first and blocks in open until the writer opens; the writer sends in three
    // parts with pauses, then closes: the sum covers every part, and end of file ends it (the
    // final 7 has no separator after it, so it is not added).
    const r = shell(
      `${NODE} -e "$SCRIPT" -- "$0" & { sleep 0.3; printf '1,2\\n'; sleep 0.2; printf '30'; sleep 0.2; printf '0,\\n7'; } > "$0"; wait $!`.replace(
        /\$0/g,
        fifo,
      ),
      `console.log(String(mk.csvSumFile(process.argv[1])));`,
    );
    expect(lines(r)).toEqual(['303']);
  });

  it('with a small read size and the JavaScript method gives the same sum (child process)', () => {
    const fifo = mkfifo('csv2');
    const r = shell(
      `${NODE} -e "$SCRIPT" -- "$0" & { sleep 0.2; printf '11,22\\n'; sleep 0.2; printf '3'; printf '33\\n'; } > "$0"; wait $!`.replace(/\$0/g, fifo),
      `console.log(String(mk.csvSumFile(process.argv[1], { via: 'read', chunkSize: 3, method: 'js' })));`,
    );
    expect(lines(r)).toEqual(['366']);
  });

  it('ends at once when the writer closes without writing (child process)', () => {
    const fifo = mkfifo('empty');
    const r = shell(
      `${NODE} -e "$SCRIPT" -- "$0" & sleep 0.2; : > "$0"; wait $!`.replace(/\$0/g, fifo),
      `console.log(String(mk.csvSumFile(process.argv[1])));`,
    );
    expect(lines(r)).toEqual(['0']);
  });
});

describe('files whose stat size is 0 but which have content', () => {
  it('csvSumFile reads /proc files instead of mapping them as empty', () => {
    for (const f of ['/proc/self/mountinfo', '/proc/self/limits']) {
      expect(fs.statSync(f).size).toBe(0);
      const want = csvSum(fs.readFileSync(f));
      expect(want).not.toBe(0n);
      expect(csvSumFile(f)).toBe(want);
      expect(csvSumFile(f, { via: 'read', chunkSize: 7 })).toBe(want);
      expect(csvSumFile(f, { method: 'js-bytewise' })).toBe(want);
    }
  });

  it('csvSumFile by descriptor reads a /proc file and leaves the descriptor open', () => {
    const fd = fs.openSync('/proc/self/mountinfo', 'r');
    try {
      expect(csvSumFile(fd)).toBe(csvSum(fs.readFileSync('/proc/self/mountinfo')));
      expect(fs.fstatSync(fd).isFile()).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a truly empty regular file still sums to 0n', () => {
    const f = path.join(dir, 'empty.csv');
    fs.writeFileSync(f, '');
    expect(csvSumFile(f)).toBe(0n);
    const fd = fs.openSync(f, 'r');
    try {
      expect(csvSumFile(fd)).toBe(0n);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('csvSumFile by descriptor sums a regular file from its offset, without moving it', () => {
    const f = path.join(dir, 'offset.csv');
    fs.writeFileSync(f, '1,2\n30,\n');
    const fd = fs.openSync(f, 'r');
    try {
      const head = Buffer.alloc(4);
      expect(fs.readSync(fd, head, 0, 4, null)).toBe(4); // the offset is now 4
      expect(csvSumFile(fd)).toBe(30n);
      expect(csvSumFile(fd, { via: 'read' })).toBe(30n);
      const rest = Buffer.alloc(8);
      expect(rest.toString('latin1', 0, fs.readSync(fd, rest, 0, 8, null))).toBe('30,\n');
      expect(csvSumFile(fd)).toBe(0n); // at the end now
    } finally {
      fs.closeSync(fd);
    }
  });

  it('csvSumFile of a directory is EISDIR', () => {
    expect(() => csvSumFile(dir)).toThrow(expect.objectContaining({ code: 'EISDIR', syscall: 'read', path: dir }));
  });

  it("csvSumFile of an event or epoll descriptor (one of Node's own) is refused, not read forever", () => {
    const fds = fs
      .readdirSync('/proc/self/fd')
      .map(Number)
      .filter((fd) => {
        try {
          return /^anon_inode:\[(eventfd|eventpoll)\]$/.test(fs.readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false;
        }
      });
    expect(fds.length).toBeGreaterThan(0);
    expect(() => csvSumFile(fds[0])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(`fd ${fds[0]} is not a file, pipe, socket or device`) }),
    );
  });
});

describe('Unix sockets', () => {
  let server: net.Server;
  const sock = path.join(dir, 'sock');
  beforeAll(async () => {
    server = net.createServer((c) => c.end('1,2\n'));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    expect(fs.statSync(sock).isSocket()).toBe(true);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('mapFile, the file helpers and openRegisterWindow refuse a socket path with ERR_MMAPKIT_NOT_MAPPABLE', () => {
    const msg = `mapFile(): '${sock}' is a socket, which cannot be mapped (only regular files and devices can); connect to it to read from it`;
    expect(() => mapFile(sock)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_NOT_MAPPABLE', path: sock, fileType: 'socket', message: msg }));
    expect(() => mapFile(sock, { length: 4096 })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_NOT_MAPPABLE' }));
    for (const fn of [fileResidency, touchFile, evictFile]) {
      expect(() => fn(sock)).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_NOT_MAPPABLE', fileType: 'socket' }));
    }
    expect(() => openRegisterWindow({ path: sock, offset: 0, length: 4 })).toThrow(expect.objectContaining({ code: 'ERR_MMAPKIT_NOT_MAPPABLE' }));
  });

  it('csvSumFile of a socket path is the ENXIO of open(2) (a socket is read by descriptor: see standard input above)', () => {
    expect(() => csvSumFile(sock)).toThrow(expect.objectContaining({ code: 'ENXIO', syscall: 'open', path: sock }));
  });
});

describe('character devices stay mappable; endless ones are not read to their end', () => {
  it('mapFile and openRegisterWindow over /dev/zero', () => {
    const m = mapFile('/dev/zero', { length: 4096, mode: 'private' });
    try {
      expect(m.length).toBe(4096);
      expect(m.buffer.every((b) => b === 0)).toBe(true);
    } finally {
      m.unmap();
    }
    using w = openRegisterWindow({ path: '/dev/zero', offset: 0, length: 16, writable: true });
    w.write32(4, 0x1234);
    expect(w.read32(4)).toBe(0x1234);
  });

  it('csvSumFile reads a character device to its end (/dev/null: 0n)', () => {
    expect(csvSumFile('/dev/null')).toBe(0n);
  });

  it('csvSumFile, csvSumFileAsync and `mmapkit csv-sum` refuse an endless device (/dev/zero, /dev/urandom) instead of reading forever (child process)', () => {
    const r = shell(
      `${NODE} -e "$SCRIPT" < /dev/zero`,
      `${PROBE}
      (async () => {
        for (const p of ['/dev/zero', '/dev/urandom', '/dev/full']) probe(p, () => mk.csvSumFile(p));
        probe('fd0', () => mk.csvSumFile(0));
        probe('null', () => mk.csvSumFile('/dev/null'));
        for (const p of ['/dev/zero', '/dev/urandom']) {
          try { await mk.csvSumFileAsync(p); console.log('async', p, 'ok'); } catch (e) { console.log('async', p, e.code); }
        }
      })();`,
    );
    const out = lines(r);
    for (const p of ['/dev/zero', '/dev/urandom', '/dev/full']) {
      const line = out.find((l) => l.startsWith(`${p} `)) ?? '';
      expect(line).toContain('ERR_INVALID_ARG_VALUE');
      expect(line).toContain(`'${p}' is a device with no end of file`);
    }
    expect(out.find((l) => l.startsWith('fd0 '))).toContain('fd 0 is a device with no end of file (/dev/zero)');
    expect(out).toContain('null ok 0n');
    expect(out).toContain('async /dev/zero ERR_INVALID_ARG_VALUE');
    expect(out).toContain('async /dev/urandom ERR_INVALID_ARG_VALUE');
    const cli = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'csv-sum', '/dev/zero'], { encoding: 'utf8', timeout: TIMEOUT });
    expect(cli.signal).toBeNull();
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain("'/dev/zero' is a device with no end of file (/dev/zero)");
    expect(cli.stderr).toContain('[ERR_INVALID_ARG_VALUE]');
  });
});
