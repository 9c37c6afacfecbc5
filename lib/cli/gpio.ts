/**
 * `mmapkit gpio`: probe and drive Raspberry Pi GPIO (Pi 1 to Pi 5), on the real board or on a
 * simulated one (--sim).
 */
import { parseArgs } from 'node:util';
import { usageError } from '../errors';
import {
  RaspberryPiGpio, detectRaspberryPi, formatGpioFuncs, formatGpioPinctrl, formatGpioRaspiGpio,
  parseGpioFunction, parseGpioPins, GPIO_PIN_COUNTS, gpioAltFunctions, type RaspberryPiInfo,
} from '../gpio';
import { simRaspberryPi, type SimRaspberryPiModel } from '../sim/gpio';
import { SimBus } from '../sim/bus';
import { simWindow } from '../sim/window';

export const summary = 'probe and drive Raspberry Pi GPIO pins (Pi 1-5, real or --sim)';

const HELP = `usage: mmapkit gpio [get] [PINS] [options]
       mmapkit gpio set PINS op|ip|a0..a5|no|dh|dl|pu|pd|pn ...
       mmapkit gpio funcs [PINS]
       mmapkit gpio info

  get     print each pin: function, driven level, pull, level (default command; never writes)
  set     set function (ip, op, a0-a5, a0-a8 and no on a Pi 5), output level (dh, dl), pull (pu, pd, pn)
  funcs   print the alternate-function table of the pins
  info    print the detected board, SoC and GPIO register address

PINS: 4, 2-5, 2-5,17 (BCM GPIO numbers; default all)

options:
  --json               JSON output
  --format F           pinctrl (default) or raspi-gpio
  --sim BOARD          use a simulated board: pi1, pi2, pi3, pi4, pi5 (its state lasts one command)
  --devicetree DIR     device-tree root to detect the board from (default /proc/device-tree)
  --device PATH        map this device file (default /dev/gpiomem, Pi 5 /dev/gpiomem0, then /dev/mem)
  -h, --help           this help

Real boards need /dev/gpiomem (Pi OS) or root for /dev/mem; kernels that claim the GPIO range need
'iomem=relaxed' on the kernel command line for /dev/mem.
`;

function out(s: string): void {
  process.stdout.write(s);
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      format: { type: 'string', default: 'pinctrl' },
      sim: { type: 'string' },
      devicetree: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(HELP);
    return 0;
  }
  const words = [...positionals];
  let cmd = 'get';
  if (words.length && ['get', 'set', 'funcs', 'info'].includes(words[0])) cmd = words.shift()!;
  else if (words.length && !/^(gpio)?\d/i.test(words[0])) {
    throw usageError('ERR_INVALID_ARG_VALUE', `unknown gpio command '${words[0]}' (get, set, funcs, info; see --help)`);
  }
  const format = values.format;
  if (format !== 'pinctrl' && format !== 'raspi-gpio') {
    throw usageError('ERR_INVALID_ARG_VALUE', `unknown --format '${format}' (pinctrl or raspi-gpio)`);
  }

  // Board: simulated or detected.
  let info: RaspberryPiInfo;
  let gpio: RaspberryPiGpio | null = null;
  const needRegisters = cmd === 'get' || cmd === 'set';
  if (values.sim !== undefined) {
    // The simulated block sits on a simulated bus at the board's physical GPIO address and is
    // reached through a window, as /dev/mem reaches the real one.
    const board = simRaspberryPi(values.sim as SimRaspberryPiModel);
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
        out(`model: ${info.model}\nsoc: ${info.soc}\nchip: ${info.chip} (${info.pinCount} GPIOs)\n` +
          `peripheral base: ${hex(info.peripheralBase)} (${info.sources.peripheralBase})\n` +
          `gpio registers: ${hex(info.gpioBase)}, ${info.gpioLength} bytes; ${info.gpiomem} maps them without root\n` +
          `revision: ${info.revision === null ? 'unknown' : info.revision.toString(16)}\n`);
      }
      return 0;
    }
    const count = GPIO_PIN_COUNTS[info.chip];
    if (cmd === 'funcs') {
      const pins = words.length ? parseGpioPins(words.join(','), count) : Array.from({ length: count }, (_, i) => i);
      if (values.json) {
        out(JSON.stringify(pins.map((p) => ({ pin: p, alt: gpioAltFunctions(info.chip, p) })), null, 2) + '\n');
      } else out(formatGpioFuncs(pins, info.chip));
      return 0;
    }
    if (cmd === 'set') {
      if (words.length < 2) throw usageError('ERR_INVALID_ARG_VALUE', "usage: mmapkit gpio set PINS op|ip|a0..a5|dh|dl|pu|pd|pn ...");
      const pins = parseGpioPins(words[0], count);
      const ops = words.slice(1);
      // Validate every word before touching a register.
      for (const op of ops) if (!['dh', 'dl', 'pu', 'pd', 'pn'].includes(op)) parseGpioFunction(op);
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
    const pins = words.length ? parseGpioPins(words.join(','), count) : gpio!.pins();
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
