/**
 * A level-change hook for the simulated GPIO blocks, built on their public API only: after every
 * call that can change a pin (drive, attachPull, write32, reset) the watched pins' levels are read
 * with level() and each change is reported. The simulated GPIO character device
 * (lib/gpio/chardev-sim.ts) turns these changes into edge events, as a kernel driver turns
 * interrupts into them.
 */
import { toFunction, toObjectWith } from '../validate';

/** The part of a simulated GPIO block this hook uses. */
export interface SimLevelSource {
  readonly pinCount: number;
  level(pin: number): 0 | 1;
  drive(pin: number, level: 0 | 1 | boolean | null): void;
  attachPull(pin: number, pull: 'up' | 'down' | null): void;
  write32(offset: number, value: number): void;
  reset?(): void;
}

export type SimLevelListener = (pin: number, level: 0 | 1) => void;

interface Hooked {
  listeners: Set<SimLevelListener>;
  levels: (0 | 1)[];
}

const hooked = new WeakMap<object, Hooked>();

function check(chip: SimLevelSource, h: Hooked): void {
  for (let p = 0; p < chip.pinCount; p++) {
    const now = chip.level(p);
    if (now !== h.levels[p]) {
      h.levels[p] = now;
      for (const l of [...h.listeners]) l(p, now);
    }
  }
}

/**
 * Calls listener(pin, level) after each change of a pin's level on `chip`. Returns a function
 * that removes the listener. Changes are reported synchronously, right after the call that made
 * them, in pin order.
 */
export function onSimGpioLevelChange(chip: SimLevelSource, listener: SimLevelListener): () => void {
  toObjectWith<SimLevelSource>(chip, 'chip', ['level', 'drive', 'attachPull', 'write32'], 'a simulated GPIO block');
  toFunction(listener, 'listener');
  let h = hooked.get(chip);
  if (!h) {
    const state: Hooked = { listeners: new Set(), levels: Array.from({ length: chip.pinCount }, (_, p) => chip.level(p)) };
    h = state;
    hooked.set(chip, state);
    const target = chip as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of ['drive', 'attachPull', 'write32', 'reset']) {
      const orig = target[name];
      if (typeof orig !== 'function') continue;
      Object.defineProperty(chip, name, {
        configurable: true,
        writable: true,
        enumerable: false,
        value: function (this: unknown, ...args: unknown[]) {
          const r = orig.apply(this, args);
          if (state.listeners.size > 0) check(chip, state);
          return r;
        },
      });
    }
  }
  const hh = h;
  // Levels may have changed while nobody listened: start from the present ones.
  if (hh.listeners.size === 0) for (let p = 0; p < chip.pinCount; p++) hh.levels[p] = chip.level(p);
  hh.listeners.add(listener);
  return () => {
    hh.listeners.delete(listener);
  };
}
