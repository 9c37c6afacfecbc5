// One batch of the soak fuzz, run in its own process by test/soak/fuzz.soak.ts (so a crash ends
// this process, not the runner). Every call is generated from (seed, index) alone and builds its
// own fresh objects, so any single call can be replayed:
//
//   node test/soak/fuzz-child.cjs --api API.json --seed S --start I --count 1 --verbose
//
// Arguments: --api (the public surface, written by the parent), --seed, --start, --count,
// --progress FILE (the index of the call in flight, rewritten before each call), --result FILE
// (a JSON summary at the end), --dir (a scratch folder), --describe (print the calls, run none),
// --indices I,J,… (those calls instead of a range), --verbose (print each call and its outcome).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const fc = require('fast-check');

const ROOT = path.resolve(__dirname, '..', '..');
const mk = require(ROOT);
const errorTable = require(path.join(ROOT, 'dist', 'errors.js'));

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(`--${name}`);
const api = opt('api') ? JSON.parse(fs.readFileSync(opt('api'), 'utf8')) : require('./api-surface.cjs').apiSurface(ROOT);
const seed = Number(opt('seed', '1'));
const start = Number(opt('start', '0'));
const count = Number(opt('count', '1'));
const describeOnly = flag('describe');
const verbose = flag('verbose');
const dir = opt('dir') ?? fs.mkdtempSync('/tmp/mmapkit-soak-fuzz-');
fs.mkdirSync(dir, { recursive: true });
process.chdir(dir);
const PAGE = 4096;

// ---------------------------------------------------------------------------------------------
// Fixtures: files with CSV-like content (so the CSV paths go deep), a directory, a FIFO.

const csvText = Buffer.from('12,34\n5,6\n789,1\n'.repeat(800)).subarray(0, 3 * PAGE + 17);
const fixture = path.join(dir, 'fixture.csv');
fs.writeFileSync(fixture, csvText);
// csvSumFile(fd) reads to end of file, as `cat` does: given one of Node's own descriptors (libuv's
// signal pipe, whose writer this process holds) it would wait forever, rightly. Descriptor numbers
// given to it are therefore mapped onto descriptors of the fuzz's own: this file; and the FIFO, which it
// opens as `cat` does (waiting for a writer), onto the file's path.
const fixtureFd = fs.openSync(fixture, 'r');
const fifo = path.join(dir, 'fifo');
try {
  require('node:child_process').execFileSync('mkfifo', [fifo]);
} catch {
  /* no mkfifo: the path is then missing */
}
const subdir = path.join(dir, 'sub');
fs.mkdirSync(subdir, { recursive: true });
const PATHS = [fixture, fixture, fixture, subdir, path.join(dir, 'missing'), '/dev/null', '/dev/zero', '/proc/self/mountinfo', '', 'relative.csv', '\0bad'];
// A FIFO with no writer blocks open(2) (a known hang): rare, so each hang's 5 s costs little.
const pathArb = fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...PATHS) }, { weight: 1, arbitrary: fc.constant(fifo) });
fs.writeFileSync(path.join(dir, 'relative.csv'), '1,2\n');
const SHM_PREFIX = `/mmapkit-soak-${process.pid}-`;

// ---------------------------------------------------------------------------------------------
// Values. The first arbitrary is test/core.fuzz.test.ts's anyValue; markers ({ $fz: ... }) stand
// for live objects made per call (mappings, buffers over them, re-entrant arguments).

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

// Buffers over live, unmapped, protect()ed and truncated mappings, transferred (detached) ones, plain ones.
const BUFFERS = [
  'map',
  'map',
  'map',
  'map',
  'map',
  'map',
  'protNone',
  'protRead',
  'truncated',
  'unmapped',
  'unmapped',
  'transferred',
  'transferred',
  'plain',
  'plain',
  'plain',
  'sab',
  'sab',
  'mapView',
  'mapView',
  'mapSub',
  'mapSub',
];
const INT32S = ['i32map', 'i32map', 'i32unmapped', 'i32sab', 'i32plain', 'u32map', 'i32protNone'];
const REENTRANT = ['unmap', 'unmap', 'resize', 'protectNone', 'protectRead', 'closeWindow', 'truncate'];
const marker = (kind) => fc.constantFrom(...kind).map((which) => ({ $fz: which }));
const reentrant = fc.record({
  $fz: fc.constant('re'),
  action: fc.constantFrom(...REENTRANT),
  as: fc.constantFrom('valueOf', 'toString', 'toPrimitive', 'getter'),
  value: fc.oneof(fc.constantFrom(0, 1, 8, 4096, 4097, 8192), fc.nat(20000)),
});
const objects = fc
  .constantFrom(
    'mapping',
    'unmappedMapping',
    'window',
    'closedWindow',
    'simWindow',
    'ports',
    'scheduler',
    'bus',
    'process',
    'fn',
    'throwingFn',
    'edu',
    'summer',
  )
  .map((which) => ({ $fz: which }));
const smallInt = fc.oneof(
  fc.integer({ min: -2, max: 64 }),
  fc.constantFrom(0, 1, 2, 4, 8, 16, 32, 64, 4095, 4096, 4097, 8192, 3 * PAGE + 17, 2 ** 31, -1, 0.5, NaN, Infinity),
);
const bounded = fc.constantFrom(-1, 0, 1, 2, 5, 0.5, NaN, 'x', {});

function plausible(p) {
  const t = p.type;
  const name = p.name.toLowerCase();
  const alts = [];
  if (/timeout|interval|ms$|tries|delay/.test(name)) return bounded;
  if (/number|bigint/.test(t)) alts.push(smallInt, fc.bigInt({ min: -1n, max: 9000n }));
  if (/\bstring\b/.test(t)) {
    if (/path|file|device/.test(name)) alts.push(pathArb);
    else if (/name/.test(name)) alts.push(fc.constantFrom('fz', '/fz', 'a/b', '', 'x'.repeat(300)).map((s) => ({ $fz: 'shmName', s })));
    else
      alts.push(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('readonly', 'readwrite', 'private', 'none', 'read', 'auto', 'js', 'seed', 'native', 'mmap', 'bcm2711', 'rp1', 'sequential', 'dontneed'),
      );
  }
  if (/Uint8Array|Buffer|ArrayBuffer|CsvBytes|ArrayBufferView|MemoryView/.test(t)) alts.push(marker(BUFFERS), marker(BUFFERS));
  if (/Int32Array|Uint32Array/.test(t)) alts.push(marker(INT32S), marker(INT32S));
  if (/RegisterIO|MemoryView/.test(t)) alts.push(fc.constantFrom('window', 'closedWindow', 'simWindow', 'window').map((which) => ({ $fz: which })));
  if (/PortIO/.test(t)) alts.push(fc.constant({ $fz: 'ports' }));
  if (/SimScheduler/.test(t)) alts.push(fc.constant({ $fz: 'scheduler' }));
  if (/SimBus/.test(t)) alts.push(fc.constant({ $fz: 'bus' }));
  if (/SimProcess/.test(t)) alts.push(fc.constant({ $fz: 'process' }));
  if (/=>/.test(t)) alts.push(fc.constantFrom('fn', 'throwingFn').map((which) => ({ $fz: which })));
  if (/boolean/.test(t)) alts.push(fc.boolean());
  if (p.keys && p.keys.length) {
    const rec = {};
    for (const k of p.keys)
      rec[k] = /timeout|interval|ms$|tries|delay/i.test(k) ? bounded : /path|file/i.test(k) ? pathArb : fc.oneof(anyValue, smallInt, reentrant, fc.boolean());
    alts.push(fc.record(rec, { requiredKeys: [] }));
  }
  if (alts.length === 0) alts.push(anyValue);
  return fc.oneof(...alts);
}

/** One argument: mostly plausible for its declared type, often anything, sometimes re-entrant. */
function argArb(p) {
  return fc.oneof(
    { weight: 5, arbitrary: plausible(p) },
    { weight: 3, arbitrary: anyValue },
    { weight: 1, arbitrary: reentrant },
    { weight: 1, arbitrary: marker(BUFFERS) },
    { weight: 1, arbitrary: objects },
  );
}

// The targets: every public function, constructor, static and instance method and getter. What a
// class inherits from Node's EventEmitter (on, once, emit, setMaxListeners …, and its statics) is
// Node's API with Node's argument checks and listener semantics (a listener that throws during an
// emit throws to the emitter's caller): it is not fuzzed here.
const { EventEmitter } = require('node:events');
const targets = [];
for (const f of api.functions) targets.push({ kind: 'function', name: f.name, params: f.params });
for (const c of api.classes) {
  if (c.ctor) targets.push({ kind: 'new', cls: c.name, name: `new ${c.name}`, params: c.ctor });
  for (const s of c.statics)
    if (!['captureStackTrace', 'prepareStackTrace'].includes(s.name) && !(s.name in EventEmitter))
      targets.push({ kind: 'static', cls: c.name, name: `${c.name}.${s.name}`, params: s.params });
  for (const m of c.methods.filter((x) => !(x.name in EventEmitter.prototype)))
    targets.push({ kind: m.kind === 'get' ? 'get' : 'method', cls: c.name, name: `${c.name}#${m.name}`, member: m.name, params: m.params ?? [] });
}
/** Ways the subject (for methods) is prepared before the call. */
const STATES = ['fresh', 'fresh', 'fresh', 'fresh', 'unmapped', 'protNone', 'protRead', 'truncated'];

const DIRECT_ACCESS = /^Mapping#(load|store)(8|16|32|64)$/;

// The IPC primitives' blocking calls wait for a peer that never comes when given no timeout (as a
// sem_wait does): their options always carry one.
const BLOCKING_IPC =
  /^(Mutex#(lock|lockAsync|withLock)|Semaphore#(wait|waitAsync)|Event#(wait|waitAsync)|Condition#(wait|waitAsync)|Channel#(receive|receiveAsync|receiveValue|receiveValueAsync|acquire|acquireAsync|reserve|reserveAsync|send|sendAsync|sendValue|sendValueAsync))$/;
const timeoutOptions = fc.record({ timeout: bounded, signal: fc.constantFrom(undefined, 'x') }, { requiredKeys: ['timeout'] });

function callArb(t) {
  // futexWait/futexWaitAsync with no timeout legitimately block forever: their timeout is always given.
  const params = t.params.map((p) => (/^futexWait/.test(t.name) && p.name === 'timeout' ? { ...p, name: 'timeout', type: 'number' } : p));
  const n = params.length;
  const arbOf = (p) =>
    p.name === 'timeout' && /^futexWait/.test(t.name) ? bounded : p.name === 'options' && BLOCKING_IPC.test(t.name) ? timeoutOptions : argArb(p);
  return fc
    .record({
      state: fc.constantFrom(...STATES),
      mapKind: fc.constantFrom('anon', 'anonShared', 'fileRw', 'fileRo', 'filePrivate', 'memfd'),
      args: fc.tuple(...params.map(arbOf)),
      extra: fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(anyValue, { maxLength: 2 }) }),
    })
    .map((r) => ({
      ...r,
      // loadN/storeN are direct typed-array accesses: over a file truncated under the mapping they
      // fault as the user's own buffer[i] would (README's safety paragraph and docs/api.md say so).
      state: r.state === 'truncated' && DIRECT_ACCESS.test(t.name) ? 'fresh' : r.state,
      args: [...r.args, ...r.extra]
        .slice(0, n + r.extra.length)
        .map((a, k) =>
          k === 0 &&
          /^(csvSumFile|csvSumFileDetails|csvSumFileAsync|fileByteSum|fileByteSumAsync)$/.test(t.name) &&
          ((Number.isInteger(a) && a >= 0 && a <= 0x7fffffff) || a === fifo)
            ? a === fifo
              ? fixture
              : fixtureFd
            : a,
        ),
      extra: undefined,
    }));
}
const arbs = new Map();

function mix(s, i) {
  let h = (s ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

function generate(i) {
  const s = mix(seed, i);
  const t = targets[(mix(s, 7) >>> 0) % targets.length];
  if (!arbs.has(t)) arbs.set(t, callArb(t));
  const call = fc.sample(arbs.get(t), { seed: s, numRuns: 1 })[0];
  return { i, target: t, ...call };
}

const inspect = (v) => util.inspect(v, { depth: 4, breakLength: Infinity, compact: true, maxArrayLength: 8, maxStringLength: 40, getters: false });
function describe(c) {
  return `${describeRaw(c)}`.split(dir).join('<dir>');
}
function describeRaw(c) {
  return `${c.target.name}(${c.args.map(inspect).join(', ')})${c.target.kind === 'function' || c.target.kind === 'new' || c.target.kind === 'static' ? '' : ` on ${c.target.cls === 'Mapping' ? `${c.mapKind} mapping, ` : ''}state ${c.state}`}`;
}

// ---------------------------------------------------------------------------------------------
// Live objects for one call.

class Ctx {
  constructor(call) {
    this.call = call;
    this.cleanups = [];
    this.files = [];
  }
  track(obj) {
    if (obj && typeof obj === 'object') this.cleanups.push(obj);
    return obj;
  }
  file() {
    const p = path.join(dir, `c${this.call.i}-${this.files.length}.csv`);
    fs.writeFileSync(p, csvText);
    this.files.push(p);
    return p;
  }
  mapping(kind = this.call.mapKind) {
    switch (kind) {
      case 'anon':
        return this.track(mk.mapAnonymous(2 * PAGE + 5));
      case 'anonShared':
        return this.track(mk.mapAnonymous(3 * PAGE, { shared: true }));
      case 'fileRw':
        return this.track(mk.mapFile(this.file(), { mode: 'readwrite' }));
      case 'fileRo':
        return this.track(mk.mapFile(this.file()));
      case 'filePrivate':
        return this.track(mk.mapFile(this.file(), { mode: 'private' }));
      case 'memfd': {
        const fd = this.track(mk.createMemfd('soak', { size: 3 * PAGE }));
        const m = this.track(fd.map());
        m.write(0, csvText.subarray(0, 3 * PAGE));
        return m;
      }
      default:
        throw new Error(`no mapping kind ${kind}`);
    }
  }
  /** The call's main mapping (the subject of Mapping methods and of buffer arguments). */
  get m() {
    if (!this._m) {
      this._m = this.mapping();
      if (this.call.mapKind === 'anon' || this.call.mapKind === 'anonShared') this._m.write(0, csvText.subarray(0, this._m.length));
    }
    return this._m;
  }
  get win() {
    if (!this._win) {
      const p = this.file();
      this._win = this.track(mk.openRegisterWindow({ path: p, offset: 0, length: PAGE, writable: true }));
    }
    return this._win;
  }
  /** Applies a subject state to the main mapping (and the file under it). */
  applyState(state, m) {
    if (state === 'unmapped') m.unmap();
    else if (state === 'protNone') m.protect('none', PAGE, PAGE);
    else if (state === 'protRead') m.protect('read');
    else if (state === 'truncated' && m.kind === 'file' && m.path) fs.truncateSync(m.path, 10);
    else if (state === 'truncated' && this.call.mapKind === 'memfd') this.cleanups.find((o) => o instanceof mk.Memfd)?.truncate?.(10);
  }
  act(action) {
    switch (action) {
      case 'unmap':
        this.m.unmap();
        break;
      case 'resize':
        try {
          this.m.resize(PAGE, { move: true });
        } catch {
          try {
            this.m.resize(PAGE);
          } catch {
            /* not resizable */
          }
        }
        break;
      case 'protectNone':
        try {
          this.m.protect('none');
        } catch {
          /* closed */
        }
        break;
      case 'protectRead':
        try {
          this.m.protect('read');
        } catch {
          /* closed */
        }
        break;
      case 'closeWindow':
        this.win.close();
        break;
      case 'truncate':
        // A file by its path; a memfd through its own handle (its name is not a path).
        if (this.m.kind === 'file' && this.m.path) fs.truncateSync(this.m.path, 0);
        else if (this.m.kind === 'memfd') this.cleanups?.find?.((o) => o instanceof mk.Memfd)?.truncate?.(0);
        break;
    }
  }
  value(spec) {
    if (Array.isArray(spec)) return spec.map((v) => this.value(v));
    if (!spec || typeof spec !== 'object' || ArrayBuffer.isView(spec)) return spec;
    if (!('$fz' in spec)) {
      const out = {};
      for (const [k, v] of Object.entries(spec)) {
        if (v && typeof v === 'object' && v.$fz === 're' && v.as === 'getter') {
          Object.defineProperty(out, k, {
            enumerable: true,
            get: () => {
              this.act(v.action);
              return v.value;
            },
          });
        } else out[k] = this.value(v);
      }
      return out;
    }
    const m = () => this.m;
    switch (spec.$fz) {
      case 're': {
        const fire = () => {
          this.act(spec.action);
          return spec.value;
        };
        if (spec.as === 'valueOf' || spec.as === 'getter') return { valueOf: fire };
        if (spec.as === 'toString') return { toString: () => String(fire()) };
        return { [Symbol.toPrimitive]: () => fire() };
      }
      case 'shmName':
        return spec.s.startsWith('/') || spec.s === '' || spec.s.includes('/')
          ? spec.s.replace(/^\/fz$/, `${SHM_PREFIX}${this.call.i}`)
          : `${SHM_PREFIX.slice(1)}${this.call.i}${spec.s}`;
      case 'map':
        return m().buffer;
      case 'mapView':
        return m().view(1, 100);
      case 'mapSub':
        return m().buffer.subarray(PAGE - 3, PAGE + 9);
      case 'protNone': {
        const b = m().buffer;
        m().protect('none', PAGE, PAGE);
        return b;
      }
      case 'protRead': {
        const b = m().buffer;
        m().protect('read');
        return b;
      }
      case 'truncated': {
        const f = this.mapping('fileRw');
        fs.truncateSync(f.path, 10);
        return f.buffer;
      }
      case 'unmapped': {
        const x = this.mapping('anon');
        const b = x.buffer;
        x.unmap();
        return b;
      }
      case 'transferred': {
        const ab = new ArrayBuffer(64);
        structuredClone(ab, { transfer: [ab] });
        return new Uint8Array(ab);
      }
      case 'plain':
        return Buffer.from(csvText.subarray(0, 100));
      case 'sab': {
        const s = new Uint8Array(new SharedArrayBuffer(64));
        s.set(csvText.subarray(0, 64));
        return s;
      }
      case 'i32map':
        return new Int32Array(m().buffer.buffer, m().buffer.byteOffset, 16);
      case 'u32map':
        return new Uint32Array(m().buffer.buffer, m().buffer.byteOffset, 16);
      case 'i32protNone': {
        const b = m().buffer;
        m().protect('none');
        return new Int32Array(b.buffer, b.byteOffset, 16);
      }
      case 'i32unmapped': {
        const x = this.mapping('anon');
        const a = new Int32Array(x.buffer.buffer, 0, 16);
        x.unmap();
        return a;
      }
      case 'i32sab':
        return new Int32Array(new SharedArrayBuffer(64));
      case 'i32plain':
        return new Int32Array(16);
      case 'mapping':
        return m();
      case 'unmappedMapping': {
        const x = this.mapping('anon');
        x.unmap();
        return x;
      }
      case 'window':
        return this.win;
      case 'closedWindow': {
        const w = this.win;
        w.close();
        return w;
      }
      case 'simWindow': {
        const sched = new mk.SimScheduler();
        return mk.simDeviceWindow(new mk.SimEdu(sched), sched);
      }
      case 'ports':
        return new mk.SimPortSpace();
      case 'scheduler':
        return new mk.SimScheduler();
      case 'bus':
        return new mk.SimBus();
      case 'process':
        return new mk.SimVm({ frames: 64 }).spawn();
      case 'fn':
        return () => 1;
      case 'throwingFn':
        return () => {
          throw new mk.MmapkitError('ERR_MMAPKIT_CLOSED', 'thrown by a callback');
        };
      case 'edu':
        return this.instance('EduDriver');
      case 'summer':
        return new mk.CsvSummer();
      default:
        throw new Error(`no marker ${spec.$fz}`);
    }
  }
  /** Memory for an IPC primitive: a SharedArrayBuffer, or (one call in three) the batch's mapping. */
  ipcMemory(bytes) {
    // Anonymous mappings only: a file or memfd truncated under a primitive is the race docs/ipc.md
    // names (JavaScript's Atomics cannot be guarded against SIGBUS).
    if (this.call.i % 3 === 0 && this.m && this.m.kind === 'anonymous' && this.m.length >= bytes) return this.m;
    return new SharedArrayBuffer(bytes);
  }
  /** A live instance of a public class, or undefined when this machine cannot make one. */
  instance(cls) {
    switch (cls) {
      case 'Mapping':
        return this.m;
      case 'SharedMemory': {
        const s = this.track(mk.openSharedMemory(`${SHM_PREFIX}${this.call.i}`, { create: true, size: PAGE }));
        this.shm = s;
        return s;
      }
      case 'Memfd':
        return this.track(mk.createMemfd('soak', { size: 2 * PAGE }));
      case 'RegisterWindow':
        return this.win;
      case 'Ports':
        return this.track(mk.openPorts()); // no port I/O here: a setup failure, counted
      case 'EduDriver':
        return new mk.EduDriver(this.value({ $fz: 'simWindow' }));
      case 'SimProcess':
        return new mk.SimVm({ frames: 64 }).spawn();
      case 'SimVm':
        return new mk.SimVm({ frames: 64 });
      case 'SimMapping': {
        const p = new mk.SimVm({ frames: 64 }).spawn();
        const a = p.mmap(0, 2 * PAGE, mk.SimProt.READ | mk.SimProt.WRITE, mk.SimMapFlags.PRIVATE | mk.SimMapFlags.ANONYMOUS, -1, 0);
        return p.view(a, 2 * PAGE);
      }
      case 'SimTlb':
        return new mk.SimTlb(16, 1);
      case 'SimFile':
        return new mk.SimFile(1, 'f', false);
      case 'SimUart':
        return new mk.SimUart(new mk.SimScheduler());
      case 'SimCpu':
        return new mk.SimCpu(new mk.SimBus());
      case 'SimNetDevice': {
        const bus = new mk.SimBus();
        return new mk.SimNetDevice(new mk.SimScheduler(), bus.master ? bus.master('net') : bus);
      }
      case 'SimEdu':
        return new mk.SimEdu(new mk.SimScheduler());
      case 'SimKeyboardController':
        return new mk.SimKeyboardController(new mk.SimScheduler());
      case 'SimPostPort':
        return new mk.SimPostPort(new mk.SimScheduler());
      case 'SimCmosRtc':
        return new mk.SimCmosRtc(new mk.SimScheduler());
      case 'SimRam':
        return new mk.SimRam('ram', 2 * PAGE);
      case 'SimIrqLine':
        return new mk.SimIrqLine('irq');
      case 'SimAccessRefused':
        return new mk.SimAccessRefused('refused');
      case 'RaspberryPiGpio':
        return new mk.RaspberryPiGpio(this.value({ $fz: 'window' }), 'bcm2711');
      case 'MmapkitError':
        return new mk.MmapkitError('ERR_MMAPKIT_CLOSED', 'x');
      case 'MmapkitSystemError':
        return new mk.MmapkitSystemError(2, 'open', '/x');
      case 'SimSignal':
        return new mk.SimSignal('SIGSEGV', 'SEGV_MAPERR', 0, 'read', 1);
      // The IPC primitives, over a SharedArrayBuffer or over the batch's mapping (whose re-entrant
      // arguments may unmap, resize or protect it under them).
      case 'Channel': {
        const mem = this.ipcMemory(mk.Channel.bytesFor(1024));
        const role = this.call.i % 2 ? 'producer' : 'consumer';
        const ch = mk.Channel.create(mem, { role: role === 'producer' ? 'consumer' : 'producer', capacity: 1024, mode: this.call.i % 3 ? 'spsc' : 'mpmc' });
        const other = mk.Channel.open(mem, { role });
        // A message waiting for a consumer, room for a producer.
        if (role === 'consumer') ch.send(Buffer.from('soak'));
        return other;
      }
      case 'Mutex':
        return mk.Mutex.init(this.ipcMemory(64), 0);
      case 'Semaphore':
        return mk.Semaphore.init(this.ipcMemory(64), 0, this.call.i % 3);
      case 'Event':
        return mk.Event.init(this.ipcMemory(64), 8, this.call.i % 5);
      case 'Condition':
        return mk.Condition.init(this.ipcMemory(64), 16);
      // GPIO through the simulated character device: a chip of a fresh simulated board, or lines
      // requested from one.
      case 'SimGpioChip':
        return mk.openSimGpioChip(['pi3', 'pi4', 'pi5'][this.call.i % 3]);
      case 'SimLineRequest': {
        const chip = mk.openSimGpioChip('pi4');
        return chip.requestLines([17, 27], this.call.i % 2 ? { direction: 'output' } : { edge: 'both', bias: 'pull-up' });
      }
      case 'SimUioInterrupt':
        return new mk.SimUioInterrupt(new mk.SimIrqLine('irq'), new mk.SimScheduler());
      case 'SimBusError':
        return new mk.SimBusError(0, 4, 'read', 'x');
      default: {
        const C = mk[cls];
        return new C();
      }
    }
  }
  cleanup() {
    for (const o of this.cleanups.reverse()) {
      try {
        if (o instanceof mk.SharedMemory) {
          try {
            o.unlink();
          } catch {
            /* gone */
          }
        }
        if (typeof o.unmap === 'function') o.unmap();
        else if (typeof o.close === 'function') o.close();
      } catch {
        /* the call under test may have closed it */
      }
    }
    for (const f of this.files) fs.rmSync(f, { force: true });
  }
}

/** Results the call returned that hold resources: closed, and shared memory it made unlinked. */
function release(value, ctx) {
  if (!value || typeof value !== 'object') return;
  if (value instanceof mk.SharedMemory) {
    try {
      value.unlink();
    } catch {
      /* gone */
    }
  }
  if (
    value instanceof mk.Mapping ||
    value instanceof mk.SharedMemory ||
    value instanceof mk.Memfd ||
    value instanceof mk.RegisterWindow ||
    value instanceof mk.Ports
  )
    ctx.track(value);
}

// ---------------------------------------------------------------------------------------------

const stats = { calls: 0, returned: 0, coded: 0, uncoded: [], uncodedCount: 0, asyncCoded: 0, asyncUncoded: 0, noInstance: {}, perTarget: {} };
const pending = [];
let current = -1;
const progressFd = opt('progress') ? fs.openSync(opt('progress'), 'w') : -1;
const progressBuf = Buffer.alloc(12);

// Findings are written at once (one JSON line each), so a later crash in the batch loses none.
const findingsFd = opt('findings') ? fs.openSync(opt('findings'), 'a') : -1;
function finding(f) {
  stats.uncodedCount++;
  if (stats.uncoded.length < 200) stats.uncoded.push(f);
  if (findingsFd >= 0) fs.writeSync(findingsFd, `${JSON.stringify(f)}\n`);
}
function errText(err) {
  let msg;
  try {
    msg = String(err?.message ?? err);
  } catch {
    msg = '(unprintable)';
  }
  return `${err?.constructor?.name ?? typeof err}: ${msg.slice(0, 200)}`;
}
/** Why a coded error is not what the error table says its code is (undefined when it is). */
function offTable(err) {
  const cls = errorTable.classOf(err.code);
  if (cls === undefined) return `${err.code} is not in the error table`;
  const want = { TypeError, RangeError, MmapkitError: mk.MmapkitError, MmapkitSystemError: mk.MmapkitSystemError, SimSignal: mk.SimSignal }[cls];
  const ok = cls === 'MmapkitError' || cls === 'SimSignal' ? err instanceof want : Object.getPrototypeOf(err) === want.prototype;
  return ok ? undefined : `${err.code} thrown as ${err.constructor?.name}, the table says ${cls}`;
}
function uncoded(c, err, how) {
  finding({ i: c.i, target: c.target.name, how, call: describe(c).slice(0, 400), error: errText(err) });
}

process.on('uncaughtException', (err) => {
  finding({ i: current, target: 'uncaughtException', how: 'uncaught', call: `at or after call ${current}`, error: errText(err) });
});
process.on('unhandledRejection', (err) => {
  finding({ i: current, target: 'unhandledRejection', how: 'unhandled', call: `at or after call ${current}`, error: errText(err) });
});

async function runOne(c) {
  if (progressFd >= 0) {
    progressBuf.writeUInt32LE(c.i, 0);
    fs.writeSync(progressFd, progressBuf, 0, 4, 0);
  }
  current = c.i;
  const ctx = new Ctx(c);
  const t = c.target;
  let self;
  let args;
  try {
    if (t.kind === 'method' || t.kind === 'get') {
      self = ctx.instance(t.cls);
      if (t.cls === 'Mapping') ctx.applyState(c.state, self);
      else if (c.state === 'unmapped' && self && typeof self.close === 'function' && t.member !== 'close') self.close();
    }
    args = ctx.value(c.args);
    if (/SharedMemory/.test(t.name) || t.name === 'unlinkSharedMemory') {
      // Never touch a shared memory object this run did not make (the machine is shared).
      if (typeof args[0] === 'string' && !args[0].replace(/^\//, '').startsWith(SHM_PREFIX.slice(1)) && fs.existsSync(`/dev/shm/${args[0].replace(/^\//, '')}`))
        args[0] = `${SHM_PREFIX}${c.i}`;
    }
  } catch (err) {
    // Setting up the call is not the call: a setup that fails is counted, never hidden.
    stats.noInstance[t.name] = (stats.noInstance[t.name] ?? 0) + 1;
    if (verbose) console.log(`#${c.i} setup failed: ${err?.message}`);
    ctx.cleanup();
    return false;
  }
  const bin = (stats.perTarget[t.name] ??= { calls: 0, coded: 0, returned: 0 });
  stats.calls++;
  bin.calls++;
  let result;
  try {
    if (t.kind === 'function') {
      const parts = t.name.split('.');
      const owner = parts.length > 1 ? mk[parts[0]] : mk;
      result = owner[parts[parts.length - 1]](...args);
    } else if (t.kind === 'new') result = new mk[t.cls](...args);
    else if (t.kind === 'static') result = mk[t.cls][t.name.split('.')[1]](...args);
    else if (t.kind === 'get') result = self[t.member];
    else result = self[t.member](...args);
    stats.returned++;
    bin.returned++;
    if (verbose) console.log(`#${c.i} returned ${inspect(result).slice(0, 200)}`);
    if (result && typeof result.then === 'function') {
      pending.push(
        Promise.race([result, new Promise((r) => setTimeout(r, 3000, 'still pending'))])
          .then(
            (v) => {
              release(v, ctx);
            },
            (err) => {
              if (typeof err?.code === 'string' && !offTable(err)) stats.asyncCoded++;
              else {
                stats.asyncUncoded++;
                uncoded(c, err, typeof err?.code === 'string' ? `rejected: ${offTable(err)}` : 'rejected');
              }
            },
          )
          .finally(() => ctx.cleanup()),
      );
      return true;
    }
    release(result, ctx);
  } catch (err) {
    if (err && typeof err.code === 'string' && !offTable(err)) {
      stats.coded++;
      bin.coded++;
      if (verbose) console.log(`#${c.i} threw ${err.code}: ${err.message}`);
    } else {
      uncoded(c, err, err && typeof err.code === 'string' ? `threw: ${offTable(err)}` : 'threw');
      if (verbose) console.log(`#${c.i} threw WITHOUT A CODE: ${err?.stack ?? err}`);
    }
  }
  ctx.cleanup();
  return true;
}

(async () => {
  const t0 = Date.now();
  const indices = opt('indices') ? opt('indices').split(',').map(Number) : Array.from({ length: count }, (_, k) => start + k);
  for (const i of indices) {
    const c = generate(i);
    if (describeOnly) {
      console.log(`#${i} ${describe(c)}`);
      continue;
    }
    if (verbose) console.log(`#${i} ${describe(c)}`);
    await runOne(c);
    // Let finalizers and asynchronous work run now and then, as in a real program.
    if (i % 64 === 63) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  stats.ms = Date.now() - t0;
  stats.targets = targets.length;
  if (opt('result'))
    fs.writeFileSync(
      opt('result'),
      JSON.stringify(stats, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
  if (!opt('dir')) fs.rmSync(dir, { recursive: true, force: true });
  // Pending futex waits and timers must not keep the batch alive.
  process.exit(0);
})();
