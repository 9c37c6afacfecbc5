/**
 * `mmapkit sim <scenario>`: run the seed's device scenarios on the simulated hardware and print a
 * readable trace, or the same facts as JSON with --json. `mmapkit sim vm <scenario>` runs the
 * virtual-memory scenarios (lib/cli/sim-vm.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../errors';
import {
  simByteLanesScenario, simDoorbellScenario, simEduScenario, simGpioScenario, simPortIoScenario, simUartScenario,
  simVolatileScenario, type SimScenarioResult,
} from '../sim';

export const summary = "run the seed's device scenarios on simulated hardware (uart, doorbell, byte-lanes, portio, volatile, gpio, edu; vm …)";

interface Scenario {
  describe: string;
  run(opts: Options): SimScenarioResult;
}

interface Options {
  seed: number;
  barrier: boolean;
  text?: string;
  divisor?: number;
  survey?: number;
  cap?: number;
  n?: number;
  model?: 'arm' | 'tso';
}

const SCENARIOS: Record<string, Scenario> = {
  uart: {
    describe: "the seed's uart_putc loop printing a string; DATA written only when STATUS[5] is set",
    run: (o) => simUartScenario({ seed: o.seed, text: o.text, divisor: o.divisor }),
  },
  doorbell: {
    describe: 'descriptor in RAM + doorbell register, with (default) or without (--no-barrier) the store barrier',
    run: (o) => simDoorbellScenario({ seed: o.seed, barrier: o.barrier, survey: o.survey, model: o.model }),
  },
  'byte-lanes': {
    describe: 'a 32-bit store of 0x00000001 at 0x10000008 and the byte lanes it drives',
    run: () => simByteLanesScenario(),
  },
  portio: {
    describe: 'inb 0x60 (keyboard), outb 0x80 (POST), the CMOS clock at 0x70/0x71',
    run: (o) => simPortIoScenario({ seed: o.seed }),
  },
  volatile: {
    describe: 'a poll loop that caches STATUS spins out; reading the register each time sees the change',
    run: (o) => simVolatileScenario({ cap: o.cap }),
  },
  gpio: {
    describe: 'Raspberry Pi 3 GPIO: the store to 0x3f20001c (GPSET0), levels, an input driven from outside, pulls',
    run: () => simGpioScenario(),
  },
  edu: {
    describe: "QEMU's edu device: ID, liveness, factorial with the busy bit, interrupts",
    run: (o) => simEduScenario({ n: o.n }),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(SCENARIOS).map((n) => n.length), 2);
  return [
    'usage: mmapkit sim <scenario> [options]',
    '       mmapkit sim vm <scenario> [options]   (simulated virtual memory; see mmapkit sim vm --help)',
    '',
    'scenarios:',
    ...Object.entries(SCENARIOS).map(([n, s]) => `  ${n.padEnd(width)}  ${s.describe}`),
    `  ${'all'.padEnd(width)}  every scenario above`,
    '',
    'options:',
    '  --json            print the result as JSON',
    '  --seed N          seed of the simulated schedule (default 1)',
    '  --no-barrier      doorbell: leave out the store barrier before the doorbell write',
    '  --model arm|tso   doorbell: CPU memory model (default arm)',
    '  --survey N        doorbell: how many seeds to survey (default 200)',
    '  --text STR        uart: the string to print',
    '  --divisor N       uart: BAUD divisor (default 1 = 115200 baud)',
    '  --cap N           volatile: iteration cap of the cached loop (default 100000)',
    '  --n N             edu: the factorial to compute (default 10)',
    '',
    'Exit status 0 when the scenario showed what it exists to show, 1 otherwise.',
    '',
  ].join('\n');
}

function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usageError('ERR_INVALID_ARG_VALUE', `--${name} must be an integer from ${min} to ${max}. Received '${value}'`);
  }
  return n;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'vm') {
    const base = path.join(__dirname, 'sim-vm');
    const file = ['.js', '.ts'].map((ext) => base + ext).find((f) => fs.existsSync(f));
    if (file === undefined) {
      throw usageError('ERR_MMAPKIT_UNSUPPORTED', "The simulated virtual-memory scenarios ('mmapkit sim vm') are not part of this build");
    }
    const vm = (await import(file)) as { run(argv: string[]): Promise<number> };
    return vm.run(argv.slice(1));
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      seed: { type: 'string' },
      barrier: { type: 'boolean' },
      'no-barrier': { type: 'boolean' },
      model: { type: 'string' },
      survey: { type: 'string' },
      text: { type: 'string' },
      divisor: { type: 'string' },
      cap: { type: 'string' },
      n: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(help());
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(help());
    return 2;
  }
  const name = positionals[0];
  if (name !== 'all' && !(name in SCENARIOS)) {
    throw usageError('ERR_INVALID_ARG_VALUE', `Unknown scenario '${name}'. Scenarios: ${[...Object.keys(SCENARIOS), 'all', 'vm'].join(', ')}`);
  }
  if (values.barrier && values['no-barrier']) {
    throw usageError('ERR_INVALID_ARG_VALUE', '--barrier and --no-barrier contradict each other');
  }
  if (values.model !== undefined && values.model !== 'arm' && values.model !== 'tso') {
    throw usageError('ERR_INVALID_ARG_VALUE', `--model must be 'arm' or 'tso'. Received '${values.model}'`);
  }
  const opts: Options = {
    seed: intOption(values.seed, 'seed', 0, 0xffff_ffff) ?? 1,
    barrier: !values['no-barrier'],
    text: values.text,
    divisor: intOption(values.divisor, 'divisor', 1, 0xffff),
    survey: intOption(values.survey, 'survey', 1, 100_000),
    cap: intOption(values.cap, 'cap', 1, 100_000_000),
    n: intOption(values.n, 'n', 0, 0xffff_ffff),
    model: values.model as 'arm' | 'tso' | undefined,
  };
  const names = name === 'all' ? Object.keys(SCENARIOS) : [name];
  const results = names.map((n) => SCENARIOS[n].run(opts));
  if (values.json) {
    const out = results.map((r) => ({ scenario: r.scenario, ok: r.ok, summary: r.summary, ...r.data }));
    process.stdout.write(JSON.stringify(name === 'all' ? out : out[0], jsonReplacer, 2) + '\n');
  } else {
    for (const r of results) {
      process.stdout.write(r.lines.join('\n') + '\n\n' + `${r.ok ? 'OK' : 'NOT SHOWN'}: ${r.summary}\n` + (results.length > 1 ? '\n' : ''));
    }
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}
