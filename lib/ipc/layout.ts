/**
 * The channel's shared layout: a 1 KiB header (geometry, positions, locks, sleep words, the table
 * of attached peers) followed by the ring. Everything read back from shared memory is validated
 * here before use: a peer that scribbles over the header gets a coded error, never a crash.
 *
 *   byte   0  magic 'MKCH', version, header size, capacity, flags, slot size, creator pid,
 *              position period, check (FNV-1a of the eight words before it), generation
 *          64  closed flag (the last producer closed)
 *         128  tail (producers' line)            192  producers' Mutex (MPMC)
 *         256  head (consumers' line)            320  consumers' Mutex (MPMC)
 *         384  data sequence, sleeping consumers 448  space sequence, sleeping producers
 *         512  peers: 16 × [pid, start stamp, role, thread]
 *        1024  ring: records of [int32 length (-1 = padding to the ring's end), int32 0, payload],
 *              each 8-byte aligned
 *
 * Positions count bytes modulo a period P (a multiple of the capacity, at least twice it, below
 * 2^31): used = (tail - head) mod P, ring index = position mod capacity.
 */
import { codedError } from '../errors';
import { PID_MAX, ownStart, ownThread, processAlive } from './memory';

export const MAGIC = 0x48434b4d; // 'MKCH' little-endian
export const VERSION = 1;
export const HEADER = 1024;
export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 1 << 29;

// word indices
export const W_MAGIC = 0;
export const W_VERSION = 1;
export const W_HEADER = 2;
export const W_CAPACITY = 3;
export const W_FLAGS = 4;
export const W_SLOT = 5;
export const W_CREATOR = 6;
export const W_PERIOD = 7;
export const W_CHECK = 8;
export const W_GENERATION = 9;
export const W_CLOSED = 16;
export const W_TAIL = 32;
export const B_PRODUCER_LOCK = 192;
export const W_HEAD = 64;
export const B_CONSUMER_LOCK = 320;
export const W_DATA_SEQ = 96;
export const W_CONSUMERS_ASLEEP = 97;
export const W_SPACE_SEQ = 112;
export const W_PRODUCERS_ASLEEP = 113;
export const W_PEERS = 128;
export const PEERS = 16;
export const PAD = -1;

export type ChannelMode = 'spsc' | 'mpmc';
export type WhenFull = 'wait' | 'fail' | 'overwrite';
export type Role = 'producer' | 'consumer';
export const MODES: readonly ChannelMode[] = ['spsc', 'mpmc'];
export const WHEN_FULL: readonly WhenFull[] = ['wait', 'fail', 'overwrite'];
const ROLE_CODE: Record<Role, number> = { producer: 1, consumer: 2 };

/** The geometry a header describes. */
export interface Geometry {
  capacity: number;
  mode: ChannelMode;
  whenFull: WhenFull;
  /** 0 for variable-length messages. */
  slotSize: number;
  period: number;
  creatorPid: number;
  generation: number;
}

export const align8 = (n: number): number => (n + 7) & ~7;
export const stride = (slotSize: number): number => 8 + align8(slotSize);
export const periodFor = (capacity: number): number => capacity * Math.floor(2 ** 30 / capacity);

/** The largest message a channel of this geometry carries. */
export function maxMessage(g: { capacity: number; slotSize: number }): number {
  return g.slotSize > 0 ? g.slotSize : g.capacity / 2 - 8;
}

function fnv(words: Int32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    const v = words[i];
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((v >>> s) & 0xff), 0x01000193);
  }
  return h | 0;
}

export function badHeader(what: string): Error {
  return codedError('ERR_MMAPKIT_BAD_HEADER', `Not a usable mmapkit channel: ${what}`);
}

export function corrupt(what: string): Error {
  return codedError('ERR_MMAPKIT_CORRUPT', `The channel's shared state is corrupt (${what}); reset() or recreate it`);
}

/** Writes a fresh header; the check word, stored last, makes a half-written header invalid. */
export function writeHeader(w: Int32Array, g: Omit<Geometry, 'period' | 'creatorPid' | 'generation'>): void {
  w.fill(0, 0, HEADER / 4);
  w[W_MAGIC] = MAGIC;
  w[W_VERSION] = VERSION;
  w[W_HEADER] = HEADER;
  w[W_CAPACITY] = g.capacity;
  w[W_FLAGS] = MODES.indexOf(g.mode) | (WHEN_FULL.indexOf(g.whenFull) << 2);
  w[W_SLOT] = g.slotSize;
  w[W_CREATOR] = process.pid;
  w[W_PERIOD] = periodFor(g.capacity);
  Atomics.store(w, W_CHECK, fnv(w, W_CHECK));
}

/** Reads and validates every header field against `size` (the bytes available from the header on). */
export function readHeader(w: Int32Array, size: number): Geometry {
  if (size < HEADER + MIN_CAPACITY) throw badHeader(`the memory holds ${size} bytes, less than a header and the smallest ring (${HEADER + MIN_CAPACITY})`);
  const magic = Atomics.load(w, W_MAGIC);
  if (magic !== MAGIC) throw badHeader(`wrong magic 0x${(magic >>> 0).toString(16).padStart(8, '0')} (expected 0x${MAGIC.toString(16)}, 'MKCH')`);
  const version = w[W_VERSION];
  if (version !== VERSION) throw codedError('ERR_MMAPKIT_VERSION', `The channel has layout version ${version}; this mmapkit reads version ${VERSION}`);
  if (w[W_CHECK] !== fnv(w, W_CHECK)) throw badHeader('the header check word does not match its fields (corrupt header)');
  if (w[W_HEADER] !== HEADER) throw badHeader(`header size ${w[W_HEADER]} (expected ${HEADER})`);
  const capacity = w[W_CAPACITY];
  if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || capacity % 8 !== 0)
    throw badHeader(`capacity ${capacity} is not a multiple of 8 in [${MIN_CAPACITY}, ${MAX_CAPACITY}]`);
  if (capacity > size - HEADER) throw badHeader(`capacity ${capacity} does not fit in the ${size - HEADER} bytes after the header`);
  const flags = w[W_FLAGS];
  const mode = MODES[flags & 3];
  const whenFull = WHEN_FULL[(flags >> 2) & 3];
  if (mode === undefined || whenFull === undefined || flags >>> 4 !== 0) throw badHeader(`unknown flags 0x${(flags >>> 0).toString(16)}`);
  const slotSize = w[W_SLOT];
  if (slotSize < 0 || slotSize > capacity || (slotSize > 0 && capacity % stride(slotSize) !== 0))
    throw badHeader(`slot size ${slotSize} does not divide capacity ${capacity}`);
  const period = w[W_PERIOD];
  if (period !== periodFor(capacity)) throw badHeader(`position period ${period} (expected ${periodFor(capacity)})`);
  return { capacity, mode, whenFull, slotSize, period, creatorPid: w[W_CREATOR], generation: Atomics.load(w, W_GENERATION) };
}

// ---- peers ----

/** A peer as the table records it. */
export interface Peer {
  pid: number;
  role: Role;
  alive: boolean;
}

const CLAIMING = -1;

/** Adds this thread to the peer table; returns its entry index. */
export function attach(w: Int32Array, role: Role): number {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < PEERS; i++) {
      const e = W_PEERS + i * 4;
      const pid = Atomics.load(w, e);
      // First pass: free entries; second: entries of dead peers.
      if (pass === 0 ? pid !== 0 : pid === 0 || pid === CLAIMING || processAlive(pid, Atomics.load(w, e + 1))) continue;
      if (Atomics.compareExchange(w, e, pid, CLAIMING) !== pid) continue;
      Atomics.store(w, e + 1, ownStart());
      Atomics.store(w, e + 2, ROLE_CODE[role]);
      Atomics.store(w, e + 3, ownThread);
      Atomics.store(w, e, process.pid);
      if (role === 'producer') Atomics.store(w, W_CLOSED, 0);
      return i;
    }
  }
  throw codedError('ERR_MMAPKIT_TOO_MANY_PEERS', `The channel's table of ${PEERS} peers is full of live processes`);
}

/** Removes entry `i`; returns whether another live peer of the same role remains. */
export function detach(w: Int32Array, i: number, role: Role): boolean {
  const e = W_PEERS + i * 4;
  Atomics.store(w, e + 2, 0);
  Atomics.store(w, e, 0);
  return peers(w).some((p) => p.role === role && p.alive);
}

/** The attached peers (entries with a valid pid and role; anything else in the table is skipped). */
export function peers(w: Int32Array): Peer[] {
  const out: Peer[] = [];
  for (let i = 0; i < PEERS; i++) {
    const e = W_PEERS + i * 4;
    const pid = Atomics.load(w, e);
    const rc = Atomics.load(w, e + 2);
    const role: Role | undefined = rc === 1 ? 'producer' : rc === 2 ? 'consumer' : undefined;
    if (pid === 0 || role === undefined) continue;
    if (pid === CLAIMING) out.push({ pid: 0, role, alive: true });
    else out.push({ pid, role, alive: pid > 0 && pid <= PID_MAX && processAlive(pid, Atomics.load(w, e + 1)) });
  }
  return out;
}

/** Clears the entries of dead peers. */
export function dropDead(w: Int32Array): void {
  for (let i = 0; i < PEERS; i++) {
    const e = W_PEERS + i * 4;
    const pid = Atomics.load(w, e);
    if (pid !== 0 && pid !== CLAIMING && !processAlive(pid, Atomics.load(w, e + 1))) {
      if (Atomics.compareExchange(w, e, pid, CLAIMING) === pid) {
        Atomics.store(w, e + 2, 0);
        Atomics.store(w, e, 0);
      }
    }
  }
}

/**
 * Throws when nothing can ever arrive (or leave): the peers of `role` are all gone. Dead ones:
 * ERR_MMAPKIT_PEER_DEAD; closed ones: ERR_MMAPKIT_CHANNEL_CLOSED. No peer yet: keep waiting.
 */
export function checkPeers(w: Int32Array, role: Role): void {
  const list = peers(w).filter((p) => p.role === role);
  if (list.some((p) => p.alive)) return;
  const dead = list.filter((p) => !p.alive);
  if (dead.length > 0) {
    throw codedError(
      'ERR_MMAPKIT_PEER_DEAD',
      `Every ${role} of the channel is gone: pid ${dead.map((p) => p.pid).join(', ')} died; reset() the channel to reuse it`,
    );
  }
  if (role === 'producer' && Atomics.load(w, W_CLOSED) !== 0) throw closedError();
}

export function closedError(): Error {
  return codedError('ERR_MMAPKIT_CHANNEL_CLOSED', 'The channel is closed: its last producer called close() and every message has been received');
}
