/** The kernel's event trace: kept events up to a limit, and a count of those dropped past it. */
import type { SimTraceEvent, SimTraceKind } from './types';

/** @internal */
export class VmEvents {
  /** Whether events are kept at all (callers test it before building an event's text). */
  readonly on: boolean;
  private readonly events: SimTraceEvent[] = [];
  private seq = 0;
  /** Events not kept because the trace was full. */
  dropped = 0;

  constructor(private readonly limit: number) {
    this.on = limit > 0;
  }

  emit(kind: SimTraceKind, pid: number, addr: number, detail: string): void {
    const seq = ++this.seq;
    if (this.events.length < this.limit) this.events.push({ seq, kind, pid, addr, detail });
    else this.dropped++;
  }

  list(): SimTraceEvent[] {
    return this.events.slice();
  }

  clear(): void {
    this.events.length = 0;
    this.dropped = 0;
  }
}
