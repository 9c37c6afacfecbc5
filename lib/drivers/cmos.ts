/**
 * The PC's CMOS real-time clock behind I/O ports 0x70 (index) and 0x71 (data), written once
 * against PortIO: it runs on real ports (/dev/port or ioperm) and on the simulated port space.
 */
import { codedError } from '../errors';
import type { PortIO } from '../interfaces';
import { PORT_IO_METHODS, toInt, toObjectWith } from '../validate';

function toPorts(ports: unknown): PortIO {
  return toObjectWith<PortIO>(ports, 'ports', PORT_IO_METHODS, 'a PortIO');
}

/** Status A reads {@link cmosSeconds} makes by default while an update is in progress. */
export const CMOS_DEFAULT_MAX_TRIES = 1000;

export const CMOS_INDEX_PORT = 0x70;
export const CMOS_DATA_PORT = 0x71;
/** Register numbers of the clock. */
export const CMOS_REG = { seconds: 0x00, minutes: 0x02, hours: 0x04, statusA: 0x0a, statusB: 0x0b } as const;
/** Status A bit 7: an update is in progress (the time registers may be inconsistent). */
export const CMOS_UPDATE_IN_PROGRESS = 0x80;
/** Status B bit 2: values are binary rather than BCD. */
export const CMOS_BINARY = 0x04;

/**
 * Reads CMOS register `reg` (an integer 0–255; bit 7 of the index, the NMI mask, is left clear,
 * so 0x80–0xff read registers 0x00–0x7f).
 */
export function cmosRead(ports: PortIO, reg: number): number {
  const io = toPorts(ports);
  const r = toInt(reg, 'reg', 0, 0xff);
  return readReg(io, r);
}

function readReg(io: PortIO, reg: number): number {
  io.outb(CMOS_INDEX_PORT, reg & 0x7f);
  return io.inb(CMOS_DATA_PORT);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

/**
 * The seconds register as the clock holds it (BCD on a PC unless status B says binary), without
 * decoding: 0x59 means 59 seconds in BCD.
 */
export function cmosSecondsRaw(ports: PortIO): number {
  return readReg(toPorts(ports), CMOS_REG.seconds);
}

/**
 * The current seconds, decoded (0–59), read when no update is in progress. Reads status A up to
 * `maxTries` times (an integer 1–1 000 000, default 1000) while its update-in-progress bit is set,
 * then throws ERR_MMAPKIT_TIMEOUT (a port space with no clock reads 0xff, which never clears).
 */
export function cmosSeconds(ports: PortIO, maxTries = CMOS_DEFAULT_MAX_TRIES): number {
  const io = toPorts(ports);
  const tries = toInt(maxTries, 'maxTries', 1, 1_000_000);
  let ready = false;
  for (let i = 0; i < tries; i++) {
    // an update takes under 2 ms: poll again
    if ((readReg(io, CMOS_REG.statusA) & CMOS_UPDATE_IN_PROGRESS) === 0) {
      ready = true;
      break;
    }
  }
  if (!ready) throw codedError('ERR_MMAPKIT_TIMEOUT', `CMOS clock still updating (status A bit 7 set) after ${tries} reads`);
  const raw = readReg(io, CMOS_REG.seconds);
  return readReg(io, CMOS_REG.statusB) & CMOS_BINARY ? raw : fromBcd(raw);
}
