/**
 * `mmapkit gpio`: probe and drive Raspberry Pi GPIO (Pi 1 to Pi 5), on the real board or on a
 * simulated one (--sim).
 */
import { codedError } from '../errors';
import {
  RaspberryPiGpio,
  detectRaspberryPi,
  formatGpioFuncs,
  formatGpioFuncsPinctrl,
  formatGpioPinctrl,
  formatGpioRaspiGpio,
  parseGpioFunction,
  parseGpioPins,
  GPIO_ALT_COUNTS,
  GPIO_PIN_COUNTS,
  gpioAltFunctions,
  type RaspberryPiInfo,
} from '../gpio';
import { simRaspberryPi, type SimRaspberryPiModel } from '../sim/devices/raspberry-pi';
import { SimBus } from '../sim/bus';
import { simWindow } from '../sim/window';
import { asUsage, cliUsageError, defineCommand } from './command';

const SUBCOMMANDS = ['get', 'set', 'funcs', 'info'];
const LEVEL_WORDS = ['dh', 'dl'];
const PULL_WORDS = ['pu', 'pd', 'pn'];
/** A pin list word: 4, GPIO4, 9-11, GPIO9-GPIO11, 2-5,17. */
const PIN_WORD = /^(?:gpio)?\d+(?:-(?:gpio)?\d+)?(?:,(?:gpio)?\d+(?:-(?:gpio)?\d+)?)*,?$/i;

function out(s: string): void {
  process.stdout.write(s);
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

export const command = defineCommand({
  name: 'gpio',
  summary: 'probe and drive Raspberry Pi GPIO pins (Pi 1-5, real or --sim), pinctrl compatible',
  usage: [
    'mmapkit gpio [get] [PINS] [options]',
    'mmapkit gpio [set] PINS op|ip|a0..a5|no|dh|dl|pu|pd|pn ...',
    'mmapkit gpio funcs [PINS]',
    'mmapkit gpio info',
  ],
  description: `  get     print each pin: function, driven level, pull, level (default command; never writes)
  set     set function (ip, op, a0-a5, a0-a8 and no on a Pi 5), output level (dh, dl), pull (pu, pd, pn);
          'set' may be left out, as with pinctrl: 'mmapkit gpio 4 op dh'. dh/dl need an output:
          on a pin that is not one (and no 'op' given) the command fails with exit status 1
  funcs   print the alternate functions of the pins (pinctrl's '4, GPIO4, GPCLK0, …' lines;
          raspi-gpio's table with --format raspi-gpio)
  info    print the detected board, SoC and GPIO register address

PINS: 4, GPIO4, 2-5, 9-11,17 (BCM GPIO numbers, with or without 'GPIO'; default all)`,
  options: {
    json: { type: 'boolean', help: 'JSON output' },
    format: { type: 'string', arg: 'F', choices: ['pinctrl', 'raspi-gpio'], default: 'pinctrl', help: 'pinctrl (default) or raspi-gpio' },
    sim: { type: 'string', arg: 'BOARD', help: 'use a simulated board: pi1, pi2, pi3, pi4, pi5 (its state lasts one command)' },
    devicetree: { type: 'string', arg: 'DIR', help: 'device-tree root to detect the board from (default /proc/device-tree)' },
    device: { type: 'string', arg: 'PATH', help: 'map this device file (default /dev/gpiomem, Pi 5 /dev/gpiomem0, then /dev/mem)' },
  },
  footer: `Real boards need /dev/gpiomem (Pi OS) or root for /dev/mem; kernels that claim the GPIO range need
'iomem=relaxed' on the kernel command line for /dev/mem.`,
  run: ({ values, positionals }) => gpioCommand(values, positionals),
});

export const summary = command.summary;
export const run = command.run;

async function gpioCommand(
  values: { json: boolean; format: string; sim?: string; devicetree?: string; device?: string },
  positionals: string[],
): Promise<number> {
  const words = [...positionals];
  let cmd = 'get';
  if (words.length && SUBCOMMANDS.includes(words[0])) cmd = words.shift()!;
  else if (words.length && !PIN_WORD.test(words[0])) {
    throw cliUsageError(`unknown gpio command '${words[0]}' (get, set, funcs, info, or PINS; see 'mmapkit gpio --help')`);
  }
  // pinctrl's implicit set: 'gpio 4 op dh' (pins, then words that are not pins).
  if (cmd === 'get' && positionals[0] !== 'get' && words.length > 1 && words.slice(1).some((w) => !PIN_WORD.test(w))) cmd = 'set';
  const format = values.format;
  if (cmd === 'info' && words.length > 0) throw cliUsageError(`'gpio info' takes no arguments: unexpected '${words[0]}'`);
  // Board: simulated or detected.
  let info: RaspberryPiInfo;
  let gpio: RaspberryPiGpio | null = null;
  const needRegisters = cmd === 'get' || cmd === 'set';
  if (values.sim !== undefined) {
    // The simulated block sits on a simulated bus at the board's physical GPIO address and is
    // reached through a window, as /dev/mem reaches the real one.
    const board = asUsage(() => simRaspberryPi(values.sim as SimRaspberryPiModel));
    info = board.info;
    const bus = new SimBus();
    bus.mapRegisterIO(info.gpioBase, board.gpio, { name: 'gpio' });
    const window = simWindow(bus, info.gpioBase, info.gpioLength, { writable: cmd !== 'get' }); // a probe never writes
    gpio = new RaspberryPiGpio(window, info, `simulated ${values.sim}: bus window at ${hex(info.gpioBase)}`);
  } else {
    info = detectRaspberryPi(values.devicetree !== undefined ? { deviceTree: values.devicetree } : {});
    if (needRegisters) gpio = RaspberryPiGpio.open({ info, writable: cmd === 'set', device: values.device });
  }

  try {
    if (cmd === 'info') {
      const rec = { ...info, peripheralBaseHex: hex(info.peripheralBase), gpioBaseHex: hex(info.gpioBase), simulated: values.sim !== undefined };
      if (values.json) out(JSON.stringify(rec, null, 2) + '\n');
      else {
        out(
          `model: ${info.model}\nsoc: ${info.soc}\nchip: ${info.chip} (${info.pinCount} GPIOs)\n` +
            `peripheral base: ${hex(info.peripheralBase)} (${info.sources.peripheralBase})\n` +
            `gpio registers: ${hex(info.gpioBase)}, ${info.gpioLength} bytes; ${info.gpiomem} maps them without root\n` +
            `revision: ${info.revision === null ? 'unknown' : info.revision.toString(16)}\n`,
        );
      }
      return 0;
    }
    const count = GPIO_PIN_COUNTS[info.chip];
    if (cmd === 'funcs') {
      const pins = words.length ? asUsage(() => parseGpioPins(words.join(','), count)) : Array.from({ length: count }, (_, i) => i);
      if (values.json) {
        out(
          JSON.stringify(
            pins.map((p) => ({ pin: p, alt: gpioAltFunctions(info.chip, p) })),
            null,
            2,
          ) + '\n',
        );
      } else out(format === 'raspi-gpio' ? formatGpioFuncs(pins, info.chip) : formatGpioFuncsPinctrl(pins, info.chip));
      return 0;
    }
    if (cmd === 'set') {
      if (words.length < 2) throw cliUsageError("expected PINS and at least one of op|ip|a0..a5|no|dh|dl|pu|pd|pn (see 'mmapkit gpio --help')");
      // pinctrl takes pins as several words too ('set 4 5 op'): every leading pin word is a pin.
      let k = 0;
      while (k < words.length - 1 && PIN_WORD.test(words[k])) k++;
      const pins = asUsage(() => parseGpioPins(words.slice(0, k).join(','), count));
      const ops = words.slice(k).map((w) => w.toLowerCase());
      // Validate every word before touching a register.
      const functions = ops.filter((op) => !LEVEL_WORDS.includes(op) && !PULL_WORDS.includes(op));
      for (const op of functions) {
        const f = asUsage(() => parseGpioFunction(op));
        if (f === 'none' && info.chip !== 'rp1') throw cliUsageError(`${info.chip} has no 'none' function (RP1 only)`);
        if (f.startsWith('alt') && Number(f.slice(3)) >= GPIO_ALT_COUNTS[info.chip]) {
          throw cliUsageError(`${info.chip} has ALT0–ALT${GPIO_ALT_COUNTS[info.chip] - 1}; ${f} does not exist`, 'ERR_OUT_OF_RANGE');
        }
      }
      // dh/dl drive outputs only, as pinctrl says: refuse unless the pin is (or is made) an output.
      if (ops.some((op) => LEVEL_WORDS.includes(op))) {
        const becomes = functions.length ? parseGpioFunction(functions[functions.length - 1]) : null;
        for (const pin of pins) {
          const fn = becomes ?? gpio!.getFunction(pin);
          if (fn !== 'output') {
            throw codedError(
              'ERR_MMAPKIT_GPIO_NOT_OUTPUT',
              `GPIO${pin} is not an output (it is ${fn === 'input' ? 'an input' : fn}): dh and dl set an output's level; make it one with 'op', as in 'mmapkit gpio set ${pin} op dh'`,
            );
          }
        }
      }
      for (const pin of pins) {
        // pinctrl's order: level before direction, so an output starts at the requested level.
        for (const op of ops) if (op === 'dh' || op === 'dl') gpio!.write(pin, op === 'dh' ? 1 : 0);
        for (const op of ops) if (op === 'pu' || op === 'pd' || op === 'pn') gpio!.setPull(pin, op);
        for (const op of ops) if (!['dh', 'dl', 'pu', 'pd', 'pn'].includes(op)) gpio!.setFunction(pin, op);
      }
      if (values.json) out(JSON.stringify({ board: info.model, pins: gpio!.probe(pins) }, null, 2) + '\n');
      return 0;
    }
    // get
    const pins = words.length ? asUsage(() => parseGpioPins(words.join(','), count)) : gpio!.pins();
    const states = gpio!.probe(pins);
    if (values.json) {
      out(JSON.stringify({ board: info.model, soc: info.soc, chip: info.chip, source: gpio!.source, pins: states }, null, 2) + '\n');
    } else if (format === 'raspi-gpio') out(formatGpioRaspiGpio(states, info.chip));
    else out(formatGpioPinctrl(states));
    return 0;
  } finally {
    gpio?.close();
  }
}
