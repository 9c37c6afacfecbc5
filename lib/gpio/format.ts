/** Text and JSON renderings of a probe: pinctrl's `get` lines, raspi-gpio's lines, JSON. */
import type { GpioPinState } from './chips';
import type { GpioChipKind } from './tables';
import { GPIO_ALT_COUNTS, gpioAltFunctions, gpioDefaultPull, toGpioChip } from './tables';
import { codedError } from '../errors';
import { invalidType } from '../validate';

const FUNCTIONS = ['input', 'output', 'none', 'alt0', 'alt1', 'alt2', 'alt3', 'alt4', 'alt5', 'alt6', 'alt7', 'alt8'];
const PULLS = ['up', 'down', 'none', 'unknown'];
/** Pin lists are at most this long (no chip has more pins; a probe lists each once). */
const MAX_PINS = 4096;

/** An array argument: a real Array, at most MAX_PINS long (nothing in it is read here). */
function toList(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidType(name, 'an instance of Array', value);
  if (value.length > MAX_PINS) {
    throw codedError('ERR_OUT_OF_RANGE', `The "${name}" argument has ${value.length} entries; at most ${MAX_PINS} are accepted`);
  }
  return value;
}

/**
 * The `states` argument: an Array of GpioPinState objects as probe() returns them. Each field is
 * checked by type before any is printed (nothing is converted).
 */
function toStates(value: unknown): readonly GpioPinState[] {
  const list = toList(value, 'states');
  list.forEach((s, i) => {
    const name = `states[${i}]`;
    if (s === null || typeof s !== 'object') throw invalidType(name, 'a GpioPinState object', s);
    const o = s as Record<string, unknown>;
    if (typeof o.pin !== 'number' || !Number.isInteger(o.pin)) throw invalidType(`${name}.pin`, 'an integer number', o.pin);
    if (typeof o.function !== 'string' || !FUNCTIONS.includes(o.function)) throw invalidType(`${name}.function`, `one of ${FUNCTIONS.join(', ')}`, o.function);
    if (typeof o.fsel !== 'number') throw invalidType(`${name}.fsel`, 'of type number', o.fsel);
    if (typeof o.name !== 'string') throw invalidType(`${name}.name`, 'of type string', o.name);
    if (o.level !== 0 && o.level !== 1) throw invalidType(`${name}.level`, '0 or 1', o.level);
    if (typeof o.pull !== 'string' || !PULLS.includes(o.pull)) throw invalidType(`${name}.pull`, `one of ${PULLS.join(', ')}`, o.pull);
    if (o.drive !== 0 && o.drive !== 1 && o.drive !== null) throw invalidType(`${name}.drive`, '0, 1 or null', o.drive);
  });
  return list as readonly GpioPinState[];
}

/** The `pins` argument: an Array of pin numbers (each checked against the chip by the tables). */
function toPins(value: unknown): readonly number[] {
  const list = toList(value, 'pins');
  list.forEach((p, i) => {
    if (typeof p !== 'number') throw invalidType(`pins[${i}]`, 'of type number', p);
  });
  return list as readonly number[];
}

function pinctrlCode(s: GpioPinState): string {
  if (s.function === 'input') return 'ip';
  if (s.function === 'output') return 'op';
  if (s.function === 'none') return 'no';
  return `a${s.function.slice(3)}`;
}

/** pinctrl's `get` format, e.g. ` 2: a0    -- | hi // GPIO2 = SDA1`. */
export function formatGpioPinctrl(states: readonly GpioPinState[]): string {
  states = toStates(states);
  return (
    states
      .map((s) => {
        const drive = s.drive === null ? '  ' : s.drive ? 'dh' : 'dl';
        const pull = s.pull === 'up' ? 'pu' : s.pull === 'down' ? 'pd' : s.pull === 'none' ? 'pn' : '--';
        return `${String(s.pin).padStart(2)}: ${pinctrlCode(s)} ${drive} ${pull} | ${s.level ? 'hi' : 'lo'} // GPIO${s.pin} = ${s.name}`;
      })
      .join('\n') + (states.length ? '\n' : '')
  );
}

function banks(chip: GpioChipKind): Array<[number, number]> {
  if (chip === 'rp1')
    return [
      [0, 27],
      [28, 33],
      [34, 53],
    ];
  if (chip === 'bcm2711')
    return [
      [0, 27],
      [28, 45],
      [46, 57],
    ];
  return [
    [0, 27],
    [28, 45],
    [46, 53],
  ];
}

/**
 * raspi-gpio's format, e.g. `GPIO 2: level=1 fsel=4 alt=0 func=SDA1`, with ` pull=UP` where the chip
 * reports pulls, and bank headers when every pin of a bank is listed.
 */
export function formatGpioRaspiGpio(states: readonly GpioPinState[], chip: GpioChipKind): string {
  states = toStates(states);
  chip = toGpioChip(chip);
  const line = (s: GpioPinState) => {
    const alt = s.function.startsWith('alt') ? ` alt=${s.function.slice(3)}` : '';
    const func = s.function === 'input' ? 'INPUT' : s.function === 'output' ? 'OUTPUT' : s.function === 'none' ? 'NONE' : s.name;
    const pull = s.pull === 'unknown' ? '' : ` pull=${s.pull.toUpperCase()}`;
    return `GPIO ${s.pin}: level=${s.level} fsel=${s.fsel}${alt} func=${func}${pull}`;
  };
  const byPin = new Map(states.map((s) => [s.pin, s]));
  const out: string[] = [];
  const done = new Set<number>();
  banks(chip).forEach(([lo, hi], i) => {
    let whole = true;
    for (let p = lo; p <= hi; p++) if (!byPin.has(p)) whole = false;
    if (!whole) return;
    out.push(`BANK${i} (GPIO ${lo} to ${hi}):`);
    for (let p = lo; p <= hi; p++) {
      out.push(line(byPin.get(p)!));
      done.add(p);
    }
  });
  for (const s of states) if (!done.has(s.pin)) out.push(line(s));
  return out.join('\n') + (out.length ? '\n' : '');
}

/** pinctrl's `funcs` table: `GPIO, DEFAULT PULL, ALT0, …` then one line per pin. */
export function formatGpioFuncs(pins: readonly number[], chip: GpioChipKind): string {
  pins = toPins(pins);
  chip = toGpioChip(chip);
  const n = GPIO_ALT_COUNTS[chip];
  const head = ['GPIO', 'DEFAULT PULL', ...Array.from({ length: n }, (_, i) => `ALT${i}`)].join(', ');
  const rows = pins.map((p) => [String(p), gpioDefaultPull(chip, p).toUpperCase(), ...gpioAltFunctions(chip, p)].join(', '));
  return [head, ...rows].join('\n') + '\n';
}

/**
 * pinctrl's `funcs` lines, no header: `4, GPIO4, GPCLK0, SA1, -, …` (pin, name, then each alternate
 * function, '-' where there is none).
 */
export function formatGpioFuncsPinctrl(pins: readonly number[], chip: GpioChipKind): string {
  pins = toPins(pins);
  chip = toGpioChip(chip);
  return pins.map((p) => [String(p), `GPIO${p}`, ...gpioAltFunctions(chip, p)].join(', ')).join('\n') + (pins.length ? '\n' : '');
}
