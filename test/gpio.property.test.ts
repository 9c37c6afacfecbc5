// Random sequences of GPIO operations on every chip, checked against a small model of what the
// API promises: functions stick, outputs show their latch, inputs follow their pull, pulls read
// back where the chip can report them, and a probe never writes.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { GPIO_ALT_COUNTS, RaspberryPiGpio, gpioDefaultPull, simRaspberryPi, type GpioFunction } from '../lib';

type Op =
  { kind: 'fn'; pin: number; fn: GpioFunction } | { kind: 'write'; pin: number; level: 0 | 1 } | { kind: 'pull'; pin: number; pull: 'up' | 'down' | 'none' };

for (const model of ['pi3', 'pi4', 'pi5'] as const) {
  describe(model, () => {
    test('random operations agree with the model', () => {
      const probe = simRaspberryPi(model, { booted: false });
      const chip = probe.info.chip;
      const pins = probe.info.pinCount;
      const fns: GpioFunction[] = ['input', 'output', ...Array.from({ length: GPIO_ALT_COUNTS[chip] }, (_, i) => `alt${i}` as GpioFunction)];
      if (chip === 'rp1') fns.push('none');
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('fn' as const), pin: fc.nat(pins - 1), fn: fc.constantFrom(...fns) }),
        fc.record({ kind: fc.constant('write' as const), pin: fc.nat(pins - 1), level: fc.constantFrom(0 as const, 1 as const) }),
        fc.record({ kind: fc.constant('pull' as const), pin: fc.nat(pins - 1), pull: fc.constantFrom('up' as const, 'down' as const, 'none' as const) }),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
          const { gpio: sim, info } = simRaspberryPi(model, { booted: false });
          const g = new RaspberryPiGpio(sim, info);
          const fn: GpioFunction[] = Array.from({ length: pins }, () => (chip === 'rp1' ? 'none' : 'input'));
          const latch: (0 | 1)[] = new Array(pins).fill(0);
          const pull = Array.from({ length: pins }, (_, p) => gpioDefaultPull(chip, p) as 'up' | 'down' | 'none');
          // RP1's a5 is SYS_RIO, plain GPIO: it reads back as input or output by the RIO direction.
          const oe: boolean[] = new Array(pins).fill(false);
          for (const o of ops) {
            if (o.kind === 'fn') {
              g.setFunction(o.pin, o.fn);
              if (o.fn === 'input' || o.fn === 'output') oe[o.pin] = o.fn === 'output';
              fn[o.pin] = chip === 'rp1' && o.fn === 'alt5' ? (oe[o.pin] ? 'output' : 'input') : o.fn;
            } else if (o.kind === 'write') {
              g.write(o.pin, o.level);
              latch[o.pin] = o.level;
            } else {
              g.setPull(o.pin, o.pull);
              pull[o.pin] = o.pull;
            }
          }
          const writes = sim.writes;
          const states = g.probe();
          expect(sim.writes).toBe(writes);
          for (let p = 0; p < pins; p++) {
            const s = states[p];
            expect(s.function).toBe(fn[p]);
            expect(sim.pull(p)).toBe(pull[p]);
            expect(s.pull).toBe(chip === 'bcm2835' ? 'unknown' : pull[p]);
            if (fn[p] === 'output') {
              expect(s.level).toBe(latch[p]);
              expect(s.drive).toBe(latch[p]);
              expect(sim.output(p)).toBe(latch[p]);
            } else {
              expect(s.drive).toBeNull();
              expect(sim.output(p)).toBeNull();
              if (pull[p] !== 'none') expect(s.level).toBe(pull[p] === 'up' ? 1 : 0);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}
