/**
 * The `gpio` scenario: the seed's opening example — a 32-bit store to physical address
 * 0x3F20_001C on a Raspberry Pi (BCM2837) writes the GPIO set register — on the simulated GPIO
 * block mapped on the bus as a device (register names from the shared register map in the trace),
 * reached through a register window like /dev/mem.
 */
import { SimBus } from '../bus';
import { simHex } from '../device';
import { SimBcm2835Gpio } from '../devices/bcm2835-gpio';
import { BCM_GPCLR0, BCM_GPEDS0, BCM_GPFSEL0, BCM_GPLEV0, BCM_GPPUD, BCM_GPPUDCLK0, BCM_GPREN0, BCM_GPSET0 } from '../../gpio/regmap';
import { simFormatTime } from '../trace';
import { simWindow } from '../window';
import { simCollapse, simCollapsedJSON, simFormatCollapsed } from './format';
import type { SimScenarioResult } from './types';

const GPIO_BASE = 0x3f20_0000;
const GPFSEL0 = BCM_GPFSEL0;
const GPFSEL1 = BCM_GPFSEL0 + 4;
const GPSET0 = BCM_GPSET0;
const GPCLR0 = BCM_GPCLR0;
const GPLEV0 = BCM_GPLEV0;
const GPEDS0 = BCM_GPEDS0;
const GPREN0 = BCM_GPREN0;
const GPPUD = BCM_GPPUD;
const GPPUDCLK0 = BCM_GPPUDCLK0;

export function simGpioScenario(): SimScenarioResult {
  const bus = new SimBus();
  const gpio = new SimBcm2835Gpio({ scheduler: bus.scheduler });
  bus.map(GPIO_BASE, gpio, { name: 'gpio' });
  const regs = simWindow(bus, GPIO_BASE, 0x1000);
  const trace = bus.startTrace();

  // GPIO4 as an output (GPFSEL0 bits 14:12 = 001), then set and clear it.
  regs.write32(GPFSEL0, (regs.read32(GPFSEL0) & ~(7 << 12)) | (1 << 12));
  regs.write32(GPSET0, 1 << 4); // the store to 0x3F20001C
  const afterSet = regs.read32(GPLEV0);
  const pinAfterSet = gpio.output(4);
  regs.write32(GPCLR0, 1 << 4);
  const afterClear = regs.read32(GPLEV0);

  // GPIO17 is an input (reset function); a button outside drives it high; rising edge detect on.
  regs.write32(GPREN0, 1 << 17);
  gpio.drive(17, 1);
  const levelIn = regs.read32(GPLEV0);
  const events = regs.read32(GPEDS0);
  regs.write32(GPEDS0, 1 << 17); // write 1 to clear
  const eventsAfterClear = regs.read32(GPEDS0);

  // GPIO22: the BCM2835 clocked pull sequence selects its internal pull-up.
  regs.write32(GPPUD, 2);
  regs.write32(GPPUDCLK0, 1 << 22);
  regs.write32(GPPUD, 0);
  regs.write32(GPPUDCLK0, 0);
  const pull22 = gpio.pull(22);
  const level22 = (regs.read32(GPLEV0) >>> 22) & 1;
  // GPIO10..19 function selects read back.
  const fsel1 = regs.read32(GPFSEL1);
  bus.stopTrace();

  const setStore = trace.records.find((r) => r.address === GPIO_BASE + GPSET0);
  const ok =
    (afterSet & (1 << 4)) !== 0 &&
    pinAfterSet === 1 &&
    (afterClear & (1 << 4)) === 0 &&
    (levelIn & (1 << 17)) !== 0 &&
    (events & (1 << 17)) !== 0 &&
    (eventsAfterClear & (1 << 17)) === 0 &&
    pull22 === 'up' &&
    level22 === 1;
  const runs = simCollapse(trace.records);
  return {
    scenario: 'gpio',
    ok,
    summary:
      `GPSET0 at 0x3f20001c drove GPIO4 high (GPLEV0 ${simHex(afterSet)}), GPCLR0 low; an external drive on GPIO17 ` +
      `showed in GPLEV0 and GPEDS0; the GPPUD/GPPUDCLK sequence pulled GPIO22 up`,
    lines: [
      'gpio: Raspberry Pi 3 (BCM2837) GPIO block at physical 0x3f200000, through a register window',
      '',
      ...simFormatCollapsed(runs, simFormatTime),
      '',
      `the seed's store: ${setStore ? `${simHex(setStore.value ?? 0)} to ${simHex(setStore.address)} (GPSET0), lanes ${setStore.lanes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}` : 'missing'}`,
      `GPIO4 output after GPSET0: ${pinAfterSet}; GPLEV0 after set ${simHex(afterSet)}, after clear ${simHex(afterClear)}`,
      `GPIO17 driven high from outside: GPLEV0 ${simHex(levelIn)}, GPEDS0 ${simHex(events)} (cleared: ${simHex(eventsAfterClear)})`,
      `GPIO22 pull after the clocked sequence: ${pull22}, level ${level22}; GPFSEL1 ${simHex(fsel1)}`,
    ],
    data: {
      base: simHex(GPIO_BASE),
      gplevAfterSet: afterSet,
      gplevAfterClear: afterClear,
      gpio4Output: pinAfterSet,
      gplevWithInput: levelIn,
      gpeds: events,
      gpedsAfterClear: eventsAfterClear,
      gpio22Pull: pull22,
      gpio22Level: level22,
      trace: simCollapsedJSON(runs),
    },
  };
}
