import { openSimGpioChip, type GpioEdgeEvent } from 'mmapkit';
import type { Suite } from '../types';

/**
 * Edge events through the GPIO character-device API on the simulated Pi 4: the simulation toggles
 * GPIO17 `batch` times (each toggle an edge, queued as the kernel queues them), then the consumer
 * takes them — through the async iterator, or an 'event' listener. ops = events per run.
 */
export const suite: Suite = {
  name: 'gpio-events',
  native: false,
  title: '11. GPIO edge events (simulated Pi 4 chip): async iterator and EventEmitter delivery rate',
  async run(ctx) {
    const batch = ctx.quick ? 64 : 4096;
    const chip = openSimGpioChip('pi4');
    const g = chip.board.gpio;
    const req = chip.requestLines('GPIO17', { edge: 'both', eventBufferSize: batch, consumer: 'bench' });
    let level = 0;
    const toggle = (n: number) => {
      for (let i = 0; i < n; i++) {
        level ^= 1;
        g.drive(17, level as 0 | 1);
      }
    };

    const it = req.events();
    let lastSeq = 0;
    let gaps = 0;
    const viaIterator = async (): Promise<number> => {
      toggle(batch);
      for (let k = 0; k < batch; k++) {
        const r = await it.next();
        const ev = r.value as GpioEdgeEvent;
        if (ev.seqno !== lastSeq + 1) gaps++;
        lastSeq = ev.seqno;
      }
      return lastSeq;
    };
    const g1 = 'simulated edge events (GPIO17 toggled, events consumed)';
    await ctx.measure([{ name: 'for await (request.events())', group: g1, ops: batch, fn: viaIterator, baseline: true }]);
    await it.return?.();

    let seen = 0;
    let wake: (() => void) | null = null;
    req.on('event', () => {
      seen++;
      if (seen % batch === 0) wake?.();
    });
    const viaEmitter = async (): Promise<number> => {
      const done = new Promise<void>((r) => {
        wake = r;
      });
      toggle(batch);
      await done;
      return seen;
    };
    await ctx.measure([{ name: "request.on('event')", group: g1, ops: batch, fn: viaEmitter }]);
    req.removeAllListeners('event');
    ctx.check('every event arrived in order (no sequence gap) through the iterator', gaps === 0, `${gaps} gaps`);
    req.close();
    chip.close();
  },
};
