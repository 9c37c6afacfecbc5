/**
 * `mmapkit gpiochip`: the Linux GPIO character device from the command line, with the verbs and
 * output formats of libgpiod v2's tools: info (gpioinfo), get (gpioget), set (gpioset), mon
 * (gpiomon). Real chips (/dev/gpiochipN) or a simulated Raspberry Pi's (--sim pi3|pi4|pi5).
 * Ctrl-C (or SIGTERM) ends `set` and `mon` with exit status 0 after releasing every line, as the
 * libgpiod tools do.
 */
import { listGpioChips, openGpioChip, openSimGpioChip, type GpioChipLike, type GpioEdgeEvent, type GpioLineInfo, type GpioLineRequestLike } from '../gpio';
import { codedError } from '../errors';
import type { SimRaspberryPiModel } from '../sim/gpio';
import { asUsage, cliUsageError, defineCommand } from './command';

const VERBS = ['info', 'get', 'set', 'mon'];

export const command = defineCommand({
  name: 'gpiochip',
  summary: 'GPIO through the Linux character device (libgpiod v2 tools: info, get, set, mon), real or --sim',
  usage: [
    'mmapkit gpiochip info [LINE...] [--chip CHIP]',
    'mmapkit gpiochip get LINE... [--chip CHIP] [--active-low] [--bias B] [--as-is] [--numeric]',
    'mmapkit gpiochip set LINE=VALUE... [--chip CHIP] [--hold-period P] [--drive D]',
    'mmapkit gpiochip mon LINE... [--chip CHIP] [--edges E] [--num-events N] [--format F]',
  ],
  description: `  info  list chips and their lines: name, direction, consumer, bias, drive, edges (gpioinfo)
  get   request the lines as inputs (or --as-is), print "LINE"=active|inactive (gpioget)
  set   request the lines as outputs at VALUE (1|0|active|inactive|on|off|true|false) and hold
        them until Ctrl-C or --hold-period has passed (gpioset)
  mon   print one line per edge event: TIMESTAMP<TAB>rising|falling<TAB>LINE (gpiomon); stops
        after --num-events or on Ctrl-C

LINE: a line name ('GPIO17') looked up on every chip (or on --chip), or an offset with --chip
(an offset alone works when there is one chip). Periods: 100ms, 1s, 500us (a bare number is ms).
--format specifiers (mon): %o offset, %l name, %c chip, %e 1|2, %E rising|falling, %S seconds
timestamp, %U UTC timestamp, %s sequence number, %n line sequence number, %% a percent sign.`,
  options: {
    chip: { type: 'string', short: 'c', arg: 'CHIP', help: "restrict to one chip: path, name or number ('gpiochip0', '0')" },
    sim: { type: 'string', arg: 'BOARD', help: "a simulated board's chip: pi3, pi4, pi5 (its state lasts one command)" },
    json: { type: 'boolean', help: 'JSON output (mon: one object per line)' },
    consumer: { type: 'string', short: 'C', arg: 'NAME', help: "consumer label (default 'gpioget', 'gpioset', 'gpiomon')" },
    'active-low': { type: 'boolean', short: 'l', help: 'treat the lines as active low' },
    bias: { type: 'string', short: 'b', arg: 'B', choices: ['as-is', 'pull-up', 'pull-down', 'disabled'], help: 'as-is, pull-up, pull-down or disabled' },
    drive: { type: 'string', short: 'd', arg: 'D', choices: ['push-pull', 'open-drain', 'open-source'], help: 'set: push-pull, open-drain or open-source' },
    'as-is': { type: 'boolean', short: 'a', help: 'get: leave the direction as it is (do not force input)' },
    numeric: { type: 'boolean', short: 'N', help: 'get: print values as 1 and 0' },
    'hold-period': { type: 'string', short: 'p', arg: 'P', help: 'set: hold the values this long, then exit; get: wait this long before reading' },
    edges: {
      type: 'string',
      short: 'e',
      arg: 'E',
      choices: ['rising', 'falling', 'both'],
      default: 'both',
      help: 'mon: rising, falling or both (default both)',
    },
    'event-clock': { type: 'string', short: 'E', arg: 'CLK', choices: ['monotonic', 'realtime', 'hte'], help: 'mon: timestamp clock (default monotonic)' },
    'debounce-period': { type: 'string', arg: 'P', help: 'mon: debounce the lines' },
    'num-events': { type: 'integer', short: 'n', arg: 'N', min: 1, max: 2 ** 31, help: 'mon: exit after N events' },
    format: { type: 'string', short: 'F', arg: 'F', help: 'mon: custom output format (see above)' },
    banner: { type: 'boolean', help: 'mon: print "Monitoring line \'LINE\'..." once the lines are requested' },
  },
  footer: `Opening /dev/gpiochipN needs read-write access: root or the group that owns it ('gpio' on Raspberry Pi OS).
exit status: 0 success (also set/mon ended by Ctrl-C), 1 failure, 2 usage error`,
  run: ({ values, positionals }) => gpiochipCommand(values as Values, positionals),
});

export const summary = command.summary;
export const run = command.run;

interface Values {
  chip?: string;
  sim?: string;
  json: boolean;
  consumer?: string;
  'active-low': boolean;
  bias?: string;
  drive?: string;
  'as-is': boolean;
  numeric: boolean;
  'hold-period'?: string;
  edges: string;
  'event-clock'?: string;
  'debounce-period'?: string;
  'num-events'?: number;
  format?: string;
  banner: boolean;
}

function out(s: string): void {
  process.stdout.write(s);
}

/** A period in microseconds: 100ms, 1s, 500us; a bare number is milliseconds. */
export function parsePeriodUs(text: string, what: string): number {
  const m = /^(\d+)(us|ms|s)?$/.exec(text.trim());
  if (!m) throw cliUsageError(`${what} must be a period such as 100ms, 1s or 500us. Received '${text}'`);
  const us = Number(m[1]) * (m[2] === 'us' ? 1 : m[2] === 's' ? 1e6 : 1e3);
  if (!Number.isSafeInteger(us) || us > 0xffffffff) throw cliUsageError(`${what} is too long (at most 4294967295us). Received '${text}'`, 'ERR_OUT_OF_RANGE');
  return us;
}

function parseValue(text: string, line: string): 0 | 1 {
  const t = text.toLowerCase();
  if (['1', 'active', 'on', 'true'].includes(t)) return 1;
  if (['0', 'inactive', 'off', 'false'].includes(t)) return 0;
  throw cliUsageError(`invalid value '${text}' for line '${line}' (1, 0, active, inactive, on, off, true, false)`);
}

/** A line the user named, resolved to a chip and an offset. */
interface Resolved {
  id: string;
  chip: GpioChipLike;
  chipName: string;
  offset: number;
  name: string;
}

function openChips(values: Values): GpioChipLike[] {
  if (values.sim !== undefined) {
    if (!['pi3', 'pi4', 'pi5'].includes(values.sim)) throw cliUsageError(`--sim takes pi3, pi4 or pi5. Received '${values.sim}'`);
    if (values.chip !== undefined && !['0', 'gpiochip0', 'sim:bcm2835', 'sim:bcm2711', 'sim:rp1'].includes(values.chip)) {
      throw cliUsageError(`a simulated board has one chip, gpiochip0. Received --chip '${values.chip}'`);
    }
    return [openSimGpioChip(values.sim as SimRaspberryPiModel)];
  }
  if (values.chip !== undefined) return [openGpioChip(values.chip)];
  const chips = listGpioChips().map((c) => openGpioChip(c.path));
  if (chips.length === 0)
    throw codedError('ERR_MMAPKIT_UNSUPPORTED', 'no GPIO chips found (/dev/gpiochip*); is CONFIG_GPIO_CDEV set, or did you mean --sim pi4?');
  return chips;
}

function resolveLines(words: string[], chips: GpioChipLike[], byChip: boolean): Resolved[] {
  const res = words.map((w) => {
    for (const c of chips) {
      const o = c.findLine(w);
      if (o >= 0) return { id: w, chip: c, chipName: c.info().name, offset: o, name: w };
    }
    if (/^\d+$/.test(w) && (byChip || chips.length === 1)) {
      const c = chips[0];
      const n = c.info().lines;
      if (Number(w) >= n) throw cliUsageError(`offset ${w} is out of range on ${c.info().name} (${n} lines)`, 'ERR_OUT_OF_RANGE');
      return { id: w, chip: c, chipName: c.info().name, offset: Number(w), name: c.lineInfo(Number(w)).name };
    }
    throw cliUsageError(/^\d+$/.test(w) ? `line offset '${w}' needs --chip (there are ${chips.length} chips)` : `cannot find line '${w}'`);
  });
  const seen = new Set<string>();
  for (const r of res) {
    const k = `${r.chipName}:${r.offset}`;
    if (seen.has(k)) throw cliUsageError(`line '${r.id}' is given twice`);
    seen.add(k);
  }
  return res;
}

function quoted(s: string): string {
  return `"${s}"`;
}

/** gpioinfo's attribute list: 'input active-low bias=pull-up edges=both consumer="x"'. */
function attributes(i: GpioLineInfo): string {
  let s = i.direction;
  if (i.activeLow) s += ' active-low';
  if (i.drive !== 'push-pull') s += ` drive=${i.drive}`;
  if (i.bias !== 'as-is') s += ` bias=${i.bias}`;
  if (i.edge !== 'none') s += ` edges=${i.edge}`;
  if (i.eventClock !== 'monotonic') s += ` event-clock=${i.eventClock}`;
  if (i.debounceUs) {
    const d = i.debounceUs;
    s += ` debounce-period=${d % 1e6 === 0 ? `${d / 1e6}s` : d % 1e3 === 0 ? `${d / 1e3}ms` : `${d}us`}`;
  }
  if (i.used) s += ` consumer=${quoted(i.consumer || 'kernel')}`;
  return s;
}

function lineName(i: GpioLineInfo): string {
  if (!i.name) return 'unnamed'.padEnd(16);
  const q = quoted(i.name);
  return q.length <= 16 ? q.padEnd(16) : q;
}

/** Holds until a signal (SIGINT, SIGTERM) or the timeout; returns true when a signal ended it. */
function untilSignal(ms: number | null, onSignal?: () => void): { done: Promise<boolean>; cancel: () => void } {
  let finish: (sig: boolean) => void = () => {};
  const done = new Promise<boolean>((r) => {
    finish = r;
  });
  const handler = () => {
    onSignal?.();
    finish(true);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  // Signal listeners do not keep the event loop alive: without a timeout, a long timer does.
  const timer = ms === null ? setInterval(() => {}, 2 ** 30) : setTimeout(() => finish(false), ms);
  const cancel = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    clearTimeout(timer);
    finish(false);
  };
  done.then(cancel, cancel);
  return { done, cancel };
}

async function gpiochipCommand(values: Values, positionals: string[]): Promise<number> {
  const [verb, ...words] = positionals;
  if (verb === undefined) throw cliUsageError("expected a verb: info, get, set or mon (see 'mmapkit gpiochip --help')");
  if (!VERBS.includes(verb)) throw cliUsageError(`unknown gpiochip verb '${verb}' (info, get, set, mon)`);
  if (verb !== 'info' && words.length === 0) throw cliUsageError(`'gpiochip ${verb}' needs at least one line`);
  const holdUs = values['hold-period'] === undefined ? null : parsePeriodUs(values['hold-period'], '--hold-period');
  const debounceUs = values['debounce-period'] === undefined ? undefined : parsePeriodUs(values['debounce-period'], '--debounce-period');
  const chips = openChips(values);
  const requests: GpioLineRequestLike[] = [];
  try {
    const byChip = values.chip !== undefined || values.sim !== undefined;
    if (verb === 'info') return info(chips, words, byChip, values.json);
    const setWords =
      verb === 'set'
        ? words.map((w) => {
            const eq = w.lastIndexOf('=');
            if (eq <= 0) throw cliUsageError(`'gpiochip set' takes LINE=VALUE words. Received '${w}'`);
            return { line: w.slice(0, eq), value: parseValue(w.slice(eq + 1), w.slice(0, eq)) };
          })
        : [];
    const lines = asUsage(() => resolveLines(verb === 'set' ? setWords.map((s) => s.line) : words, chips, byChip));
    const common = {
      activeLow: values['active-low'] || undefined,
      bias: values.bias as 'as-is' | undefined,
      consumer: values.consumer ?? (verb === 'get' ? 'gpioget' : verb === 'set' ? 'gpioset' : 'gpiomon'),
    };
    // One request per chip, lines in the order given.
    const groups = new Map<GpioChipLike, Resolved[]>();
    for (const r of lines) groups.set(r.chip, [...(groups.get(r.chip) ?? []), r]);
    const reqOf = new Map<Resolved, GpioLineRequestLike>();
    for (const [chip, rs] of groups) {
      const offsets = rs.map((r) => r.offset);
      let req: GpioLineRequestLike;
      if (verb === 'get') {
        if (values['as-is'] && values.bias && values.bias !== 'as-is') throw cliUsageError('--bias needs the direction set: drop --as-is');
        req = chip.requestLines(offsets, { ...common, direction: values['as-is'] ? undefined : 'input' });
      } else if (verb === 'set') {
        const own: Record<string, { value: 0 | 1 }> = {};
        rs.forEach((r) => {
          own[String(r.offset)] = { value: setWords[lines.indexOf(r)].value };
        });
        req = chip.requestLines(offsets, { ...common, direction: 'output', drive: values.drive as 'push-pull' | undefined, lines: own });
      } else {
        req = chip.requestLines(offsets, {
          ...common,
          edge: values.edges as 'both',
          debounceUs,
          eventClock: values['event-clock'] as 'monotonic' | undefined,
        });
      }
      requests.push(req);
      rs.forEach((r) => reqOf.set(r, req));
    }
    if (verb === 'get') {
      if (holdUs) await new Promise((r) => setTimeout(r, holdUs / 1000));
      const vals = lines.map((r) => reqOf.get(r)!.getValue(r.offset));
      if (values.json) out(JSON.stringify(lines.map((r, i) => ({ line: r.id, chip: r.chipName, offset: r.offset, name: r.name, value: vals[i] }))) + '\n');
      else out(lines.map((r, i) => (values.numeric ? String(vals[i]) : `${quoted(r.id)}=${vals[i] ? 'active' : 'inactive'}`)).join(' ') + '\n');
      return 0;
    }
    if (verb === 'set') {
      const hold = untilSignal(holdUs === null ? null : holdUs / 1000); // Ctrl-C is handled from here on
      if (values.json) out(JSON.stringify(lines.map((r, i) => ({ line: r.id, chip: r.chipName, offset: r.offset, value: setWords[i].value }))) + '\n');
      await hold.done;
      return 0;
    }
    return await monitor(lines, requests, reqOf, values);
  } finally {
    for (const r of requests) r.close();
    for (const c of chips) c.close();
  }
}

function info(chips: GpioChipLike[], words: string[], byChip: boolean, json: boolean): number {
  if (words.length) {
    const lines = asUsage(() => resolveLines(words, chips, byChip));
    if (json)
      out(
        JSON.stringify(
          lines.map((r) => ({ chip: r.chipName, ...r.chip.lineInfo(r.offset) })),
          null,
          2,
        ) + '\n',
      );
    else for (const r of lines) out(`${r.chipName} ${r.offset}\t${lineName(r.chip.lineInfo(r.offset))}\t${attributes(r.chip.lineInfo(r.offset))}\n`);
    return 0;
  }
  if (json) {
    out(
      JSON.stringify(
        chips.map((c) => ({ ...c.info(), lineInfo: c.linesInfo() })),
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  for (const c of chips) {
    const ci = c.info();
    out(`${ci.name} - ${ci.lines} lines:\n`);
    for (const i of c.linesInfo()) out(`\tline ${String(i.offset).padStart(3)}:\t${lineName(i)}\t${attributes(i)}\n`);
  }
  return 0;
}

function seconds(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function utc(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  return `${d.toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

function formatEvent(fmt: string, ev: GpioEdgeEvent, r: Resolved): string {
  return fmt
    .replace(/%(.)/g, (all, c: string) => {
      switch (c) {
        case 'o':
          return String(ev.offset);
        case 'l':
          return r.name || 'unnamed';
        case 'c':
          return r.chipName;
        case 'e':
          return ev.edge === 'rising' ? '1' : '2';
        case 'E':
          return ev.edge;
        case 'S':
          return seconds(ev.timestampNs);
        case 'U':
          return utc(ev.timestampNs);
        case 's':
          return String(ev.seqno);
        case 'n':
          return String(ev.lineSeqno);
        case '%':
          return '%';
        default:
          return all;
      }
    })
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n');
}

async function monitor(lines: Resolved[], requests: GpioLineRequestLike[], reqOf: Map<Resolved, GpioLineRequestLike>, values: Values): Promise<number> {
  const max = values['num-events'] ?? Infinity;
  const realtime = values['event-clock'] === 'realtime';
  let count = 0;
  const stop = untilSignal(null, () => {
    for (const r of requests) r.close();
  });
  if (values.banner) {
    const ids = lines.map((r) => `'${r.id}'`);
    out(ids.length > 1 ? `Monitoring lines ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}...\n` : `Monitoring line ${ids[0]}...\n`);
  }
  try {
    await new Promise<void>((resolve) => {
      const onEvent = (req: GpioLineRequestLike) => (ev: GpioEdgeEvent) => {
        if (count >= max) return;
        const r = lines.find((l) => reqOf.get(l) === req && l.offset === ev.offset)!;
        if (values.json) out(JSON.stringify({ ...ev, timestampNs: ev.timestampNs.toString(), chip: r.chipName, line: r.id, name: r.name }) + '\n');
        else if (values.format !== undefined) out(formatEvent(values.format, ev, r) + '\n');
        else {
          const id = r.name ? (values.chip !== undefined ? `${r.chipName} ${r.offset} ${quoted(r.name)}` : quoted(r.name)) : `${r.chipName} ${r.offset}`;
          out(`${realtime ? utc(ev.timestampNs) : seconds(ev.timestampNs)}\t${ev.edge}\t${id}\n`);
        }
        if (ev.missed) process.stderr.write(`mmapkit gpiochip: ${ev.missed} event(s) lost before seqno ${ev.seqno} (the kernel's queue overflowed)\n`);
        if (++count >= max) resolve();
      };
      for (const req of requests) req.on('event', onEvent(req));
      stop.done.then(() => resolve());
    });
  } finally {
    stop.cancel();
  }
  return 0;
}
