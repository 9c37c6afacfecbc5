/**
 * The PC's CMOS real-time clock behind I/O ports 0x70 (index) and 0x71 (data), written once
 * against PortIO: it runs on real ports (/dev/port or ioperm) and on the simulated port space.
 */
import type { PortIO } from '../interfaces';

export const CMOS_INDEX_PORT = 0x70;
export const CMOS_DATA_PORT = 0x71;
/** Register numbers of the clock. */
export const CMOS_REG = { seconds: 0x00, minutes: 0x02, hours: 0x04, statusA: 0x0a, statusB: 0x0b } as const;
/** Status A bit 7: an update is in progress (the time registers may be inconsistent). */
export const CMOS_UPDATE_IN_PROGRESS = 0x80;
/** Status B bit 2: values are binary rather than BCD. */
export const CMOS_BINARY = 0x04;

/** Reads CMOS register `reg` (bit 7 of the index, the NMI mask, is left clear). */
export function cmosRead(ports: PortIO, reg: number): number {
  ports.outb(CMOS_INDEX_PORT, reg & 0x7f);
  return ports.inb(CMOS_DATA_PORT);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

/**
 * The seconds register as the clock holds it (BCD on a PC unless status B says binary), without
 * decoding: 0x59 means 59 seconds in BCD.
 */
export function cmosSecondsRaw(ports: PortIO): number {
  return cmosRead(ports, CMOS_REG.seconds);
}

/** The current seconds, decoded (0–59), read when no update is in progress. */
export function cmosSeconds(ports: PortIO, maxTries = 1000): number {
  for (let i = 0; i < maxTries && (cmosRead(ports, CMOS_REG.statusA) & CMOS_UPDATE_IN_PROGRESS) !== 0; i++) {
    /* an update takes under 2 ms: poll again */
  }
  const raw = cmosSecondsRaw(ports);
  return cmosRead(ports, CMOS_REG.statusB) & CMOS_BINARY ? raw : fromBcd(raw);
}
