// A peer process for the IPC reliability tests: `node ipc-peer.js <role> <args…>`. Messages carry
// [producer id, sequence, FNV-1a of the payload, payload] where the payload's bytes and length
// follow from (id, seq): a torn, lost, duplicated or reordered message is detected.
'use strict';
// Producers killed by the hundred load only the IPC part of the package: half the start-up cost.
const mk = process.argv[2] === 'kill-producer' ? require('../../dist/ipc') : require('../..');

function payloadLength(id, seq) {
  return (seq * 7 + id * 13) % 61;
}
function fill(view, id, seq) {
  const n = payloadLength(id, seq);
  view.writeUInt32LE(id, 0);
  view.writeUInt32LE(seq, 4);
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < n; i++) {
    const b = (seq + i * 31 + id) & 255;
    view[12 + i] = b;
    h = Math.imul(h ^ b, 0x01000193);
  }
  view.writeInt32LE(h, 8);
  return 12 + n;
}
/** Checks one message; returns [id, seq] or throws a description. */
function check(m) {
  if (m.length < 12) throw new Error(`short message of ${m.length} bytes`);
  const id = m.readUInt32LE(0);
  const seq = m.readUInt32LE(4);
  const n = payloadLength(id, seq);
  if (m.length !== 12 + n) throw new Error(`torn: producer ${id} seq ${seq} has ${m.length} bytes, expected ${12 + n}`);
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < n; i++) {
    const b = m[12 + i];
    if (b !== ((seq + i * 31 + id) & 255)) throw new Error(`torn: producer ${id} seq ${seq} byte ${i}`);
    h = Math.imul(h ^ b, 0x01000193);
  }
  if (h !== m.readInt32LE(8)) throw new Error(`checksum: producer ${id} seq ${seq}`);
  return [id, seq];
}

const [role, name, ...rest] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

if (role === 'producer') {
  // producer <name> <id> <count> [zero-copy every k-th]
  const id = Number(rest[0]);
  const count = Number(rest[1]);
  const ch = mk.openChannel(name, { role: 'producer' });
  const scratch = Buffer.alloc(80);
  for (let seq = 0; seq < count; seq++) {
    if (seq % 3 === 0) {
      const n = 12 + payloadLength(id, seq);
      const v = ch.reserve(n);
      fill(Buffer.from(v.buffer, v.byteOffset, v.byteLength), id, seq);
      ch.commit();
    } else {
      ch.send(scratch.subarray(0, fill(scratch, id, seq)));
    }
  }
  ch.close();
  out({ sent: count });
} else if (role === 'consumer') {
  // consumer <name> <producers> <count per producer> [bitmap shm name]: per-producer order, every message whole.
  const producers = Number(rest[0]);
  const per = Number(rest[1]);
  const bitmap = rest[2] ? mk.openSharedMemory(rest[2]).map() : null;
  const bits = bitmap ? new Int32Array(bitmap.buffer.buffer, bitmap.buffer.byteOffset, bitmap.length / 4) : null;
  const ch = mk.openChannel(name, { role: 'consumer' });
  const next = new Array(producers).fill(-1);
  let got = 0;
  let dups = 0;
  for (;;) {
    let m;
    try {
      m = ch.receive();
    } catch (err) {
      if (err.code === 'ERR_MMAPKIT_CHANNEL_CLOSED') break;
      throw err;
    }
    const [id, seq] = check(m);
    if (id >= producers || seq >= per) throw new Error(`unknown message ${id}/${seq}`);
    if (bits) {
      if (seq <= next[id]) throw new Error(`producer ${id}: seq ${seq} after ${next[id]}`);
      const k = id * per + seq;
      if (Atomics.or(bits, k >> 5, 1 << (k & 31)) & (1 << (k & 31))) dups++;
    } else if (seq !== next[id] + 1) {
      throw new Error(`producer ${id}: seq ${seq} after ${next[id]}`);
    }
    next[id] = seq;
    got++;
  }
  ch.close();
  out({ got, dups });
} else if (role === 'kill-consumer') {
  // kill-consumer <name> <trials>: each trial, a producer (kill-producer) is killed at a random
  // moment; report [messages, detection time] and reset. Kill times arrive on stdin.
  const ch = mk.openChannel(name, { role: 'consumer' });
  const trials = Number(rest[0]);
  out({ ready: true });
  for (let t = 0; t < trials; t++) {
    let expect = 0;
    let detected;
    for (;;) {
      try {
        const [, seq] = check(ch.receive());
        if (seq !== expect) throw new Error(`trial ${t}: seq ${seq}, expected ${expect}`);
        expect++;
      } catch (err) {
        if (err.code !== 'ERR_MMAPKIT_PEER_DEAD') throw err;
        detected = performance.timeOrigin + performance.now();
        break;
      }
    }
    ch.reset();
    out({ trial: t, messages: expect, detected });
  }
  ch.close();
} else if (role === 'kill-producer') {
  // kill-producer <name>: waits for a line on stdin, then sends until killed.
  process.stdin.once('data', () => {
    const ch = mk.openChannel(name, { role: 'producer' });
    const scratch = Buffer.alloc(4200);
    process.stdout.write('sending\n');
    for (let seq = 0; ; seq++) {
      const big = seq % 5 === 4;
      if (seq % 2 === 0) {
        const n = 12 + payloadLength(0, seq);
        const v = ch.reserve(big ? 4000 : n);
        fill(Buffer.from(v.buffer, v.byteOffset, v.byteLength), 0, seq);
        ch.commit(n);
      } else {
        ch.send(scratch.subarray(0, fill(scratch, 0, seq)));
      }
    }
  });
} else if (role === 'mutex') {
  // mutex <shm name> <iterations>: lock, non-atomic increment of word 4, unlock.
  const m = mk.openSharedMemory(name).map();
  const mu = new mk.Mutex(m, 0);
  const w = new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 8);
  const n = Number(rest[0]);
  for (let i = 0; i < n; i++) {
    mu.lock();
    const v = w[4];
    w[4] = v + 1;
    mu.unlock();
  }
  out({ done: n });
} else if (role === 'mutex-hold') {
  // mutex-hold <shm name>: takes the lock, says so, and sleeps holding it until killed.
  const m = mk.openSharedMemory(name).map();
  new mk.Mutex(m, 0).lock();
  out({ locked: process.pid });
  setInterval(() => {}, 1000);
} else {
  throw new Error(`unknown role ${role}`);
}
