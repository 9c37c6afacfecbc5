/**
 * The far end of the ipc suite (10-ipc.ts): run as a child process (argv[2] is the JSON config)
 * or as a worker thread (workerData). Not a suite (no NN- prefix).
 *
 * Every transport runs two phases: throughput (`rounds` times: receive `count` messages, then
 * answer one 'ack'; the first round warms up) and round trip (echo `rtts` messages of the same
 * size).
 */
import * as net from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Channel, futexWait, futexWake, openChannel, openSharedMemory } from 'mmapkit';

export type Transport = 'channel' | 'channel-zc' | 'json' | 'advanced' | 'post' | 'post-transfer' | 'uds' | 'futex';

export interface PeerConfig {
  transport: Transport;
  size: number;
  count: number;
  /** Throughput rounds of `count` messages (the first is a warm-up). */
  rounds: number;
  rtts: number;
  /** The shm names of the two channels (to the peer, back). */
  names?: [string, string];
  /** futex: the shared word (process: a shm name of 4096 bytes; worker: a SharedArrayBuffer). */
  word?: string | SharedArrayBuffer;
  socket?: string;
}

/** Sends a control message to the parent (process.send in a child, postMessage in a worker). */
function tell(msg: unknown, transfer?: ArrayBuffer[]): void {
  if (parentPort) parentPort.postMessage(msg, transfer ?? []);
  else process.send!(msg);
}

function onMessage(fn: (m: unknown) => void): void {
  if (parentPort) parentPort.on('message', fn);
  else process.on('message', fn);
}

function channels(cfg: PeerConfig): [Channel, Channel] {
  return [openChannel(cfg.names![0], { role: 'consumer' }), openChannel(cfg.names![1], { role: 'producer' })];
}

function runChannel(cfg: PeerConfig): void {
  const [input, output] = channels(cfg);
  const zc = cfg.transport === 'channel-zc';
  const payload = Buffer.alloc(cfg.size, 7);
  let seen = 0;
  tell('ready');
  for (let r = 0; r < cfg.rounds && cfg.count > 0; r++) {
    for (let i = 0; i < cfg.count; i++) {
      if (zc) {
        const v = input.acquire();
        seen += v[0] + v[v.length - 1];
        input.release();
      } else {
        seen += input.receive().length;
      }
    }
    output.send(Buffer.from([seen & 255]));
  }
  for (let i = 0; i < cfg.rtts; i++) {
    if (zc) {
      const v = input.acquire();
      const out = output.reserve(v.length);
      out.set(payload.subarray(0, v.length));
      input.release();
      output.commit();
    } else {
      output.send(input.receive());
    }
  }
  input.close();
  output.close();
}

function runFutex(cfg: PeerConfig): void {
  const mem = typeof cfg.word === 'string' ? openChannelWord(cfg.word) : new Int32Array(cfg.word!, 0, 1);
  tell('ready');
  for (let i = 0; i < cfg.rtts; i++) {
    while (Atomics.load(mem, 0) !== 2 * i + 1) futexWait(mem, 0, 2 * i);
    Atomics.store(mem, 0, 2 * i + 2);
    futexWake(mem, 0);
  }
}

function openChannelWord(name: string): Int32Array {
  const m = openSharedMemory(name).map();
  return new Int32Array(m.buffer.buffer, m.buffer.byteOffset, 1);
}

function runMessages(cfg: PeerConfig): void {
  let got = 0;
  const transfer = cfg.transport === 'post-transfer';
  const total = cfg.count * cfg.rounds;
  onMessage((m) => {
    if (got < total) {
      if (++got % cfg.count === 0) tell('ack');
      return;
    }
    // round trip: echo (a transferred buffer goes back the same way)
    if (transfer && m instanceof Uint8Array) tell(m, [m.buffer as ArrayBuffer]);
    else tell(m);
  });
  tell('ready');
}

function runSocket(cfg: PeerConfig): void {
  const sock = net.connect(cfg.socket!);
  let got = 0;
  let pending: Buffer = Buffer.alloc(0);
  sock.on('connect', () => tell('ready'));
  sock.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= 4) {
      const len = pending.readUInt32LE(0);
      if (pending.length < 4 + len) break;
      const frame = pending.subarray(0, 4 + len);
      pending = pending.subarray(4 + len);
      if (got < cfg.count * cfg.rounds) {
        if (++got % cfg.count === 0) sock.write(Buffer.from([1, 0, 0, 0, 1]));
      } else {
        sock.write(frame);
      }
    }
  });
  sock.on('error', () => process.exit(1));
}

export function runPeer(cfg: PeerConfig): void {
  if (cfg.transport === 'channel' || cfg.transport === 'channel-zc') runChannel(cfg);
  else if (cfg.transport === 'futex') runFutex(cfg);
  else if (cfg.transport === 'uds') runSocket(cfg);
  else runMessages(cfg);
}

if (!isMainThread && (workerData as { ipcPeer?: PeerConfig })?.ipcPeer) {
  runPeer((workerData as { ipcPeer: PeerConfig }).ipcPeer);
} else if (isMainThread && require.main === module) {
  runPeer(JSON.parse(process.argv[2]) as PeerConfig);
}
