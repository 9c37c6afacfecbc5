/**
 * `mmapkit sim <scenario>`: run the device scenarios on the simulated hardware and print a
 * readable trace, or the same facts as JSON with --json. `mmapkit sim vm <scenario>` runs the
 * virtual-memory scenarios (lib/cli/sim-vm.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codedError } from '../errors';
import {
  simByteLanesScenario,
  simDoorbellScenario,
  simEduScenario,
  simGpioScenario,
  simPortIoScenario,
  simRingScenario,
  simUartScenario,
  simVolatileScenario,
  type SimScenarioResult,
} from '../sim';
import { SIM_SCENARIO_LIMITS } from '../sim/scenarios/limits';
import { cliUsageError, defineCommand, type Command } from './command';
import { serveWeb } from './serve';
import type { AddressInfo } from 'node:net';
import { formatEduRun, runEduInterrupts, simEduRig } from './uio';

interface Scenario {
  describe: string;
  run(opts: Options): SimScenarioResult | Promise<SimScenarioResult>;
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
  irq?: boolean;
}

const SCENARIOS: Record<string, Scenario> = {
  uart: {
    describe: 'the uart_putc loop printing a string; DATA written only when STATUS[5] is set',
    run: (o) => simUartScenario({ seed: o.seed, text: o.text, divisor: o.divisor }),
  },
  doorbell: {
    describe: 'descriptor in RAM + doorbell register, with (default) or without (--no-barrier) the store barrier',
    run: (o) => simDoorbellScenario({ seed: o.seed, barrier: o.barrier, survey: o.survey, model: o.model }),
  },
  ring: {
    describe: "two simulated processes share a frame holding a channel's ring; the commit with (default) or without (--no-barrier) the release",
    run: (o) => simRingScenario({ seed: o.seed, release: o.barrier, survey: o.survey, model: o.model }),
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
    describe: "QEMU's edu device: ID, liveness, factorial with the busy bit, interrupts (--irq: by interrupt)",
    run: (o) => (o.irq ? eduByInterrupt(o) : simEduScenario({ n: o.n })),
  },
};

/** `sim edu --irq`: the edu driver by interrupt on the simulated edu, as `mmapkit uio edu --sim`. */
async function eduByInterrupt(o: Options): Promise<SimScenarioResult> {
  const { io, irq } = simEduRig();
  const r = await runEduInterrupts(io, irq, 'simulated edu (simulated UIO)', { n: o.n ?? 10, raise: 100, timeout: 5000 });
  irq[Symbol.dispose]();
  return {
    scenario: 'edu',
    ok: r.ok,
    summary: `edu by interrupt: ${r.n}! = ${r.factorial}, ${r.counted} of ${r.raised} raised interrupts counted, ${r.gaps} gaps`,
    lines: ["edu: QEMU's edu device, driven by its interrupt (EduDriver.factorialByInterrupt on a simulated UIO interrupt)", '', formatEduRun(r).trimEnd()],
    data: { ...r },
  };
}

/** Bounds of the numeric options: the library's own (lib/sim/scenarios/limits.ts). */
const LIMITS = SIM_SCENARIO_LIMITS;

async function loadVm(): Promise<Command> {
  const base = path.join(__dirname, 'sim-vm');
  const file = ['.js', '.ts'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (file === undefined) {
    throw codedError('ERR_MMAPKIT_UNSUPPORTED', "The simulated virtual-memory scenarios ('mmapkit sim vm') are not part of this build");
  }
  return ((await import(file)) as { command: Command }).command;
}

const width = Math.max(...Object.keys(SCENARIOS).map((n) => n.length), 3);

export const command = defineCommand({
  name: 'sim',
  summary: 'run the device scenarios on simulated hardware (uart, doorbell, ring, byte-lanes, portio, volatile, gpio, edu; vm …)',
  usage: [
    'mmapkit sim <scenario> [options]',
    'mmapkit sim --serve [--port N]   (the interactive page in a browser)',
    'mmapkit sim vm <scenario> [options]   (simulated virtual memory; see mmapkit sim vm --help)',
  ],
  description: [
    'scenarios:',
    ...Object.entries(SCENARIOS).map(([n, s]) => `  ${n.padEnd(width)}  ${s.describe}`),
    `  ${'all'.padEnd(width)}  every scenario above`,
  ].join('\n'),
  options: {
    json: { type: 'boolean', help: 'print the result as JSON' },
    seed: { type: 'integer', min: LIMITS.seed[0], max: LIMITS.seed[1], help: 'seed of the simulated schedule (default 1)' },
    barrier: { type: 'boolean', help: 'doorbell, ring: keep the store barrier before the doorbell write / the tail store (default)' },
    'no-barrier': { type: 'boolean', help: 'doorbell, ring: leave out the store barrier before the doorbell write / the tail store' },
    model: { type: 'string', arg: 'arm|tso', choices: ['arm', 'tso'], help: 'doorbell, ring: CPU memory model (default arm)' },
    survey: {
      type: 'integer',
      min: LIMITS.survey[0],
      max: LIMITS.survey[1],
      help: `doorbell, ring: how many seeds to survey (default 200, at most ${LIMITS.survey[1]})`,
    },
    text: { type: 'string', arg: 'STR', help: `uart: the string to print (at most ${LIMITS.text} characters)` },
    divisor: {
      type: 'integer',
      min: LIMITS.divisor[0],
      max: LIMITS.divisor[1],
      help: `uart: BAUD divisor (default 1 = 115200 baud, at most ${LIMITS.divisor[1]};\ncharacters × divisor at most ${LIMITS.uartWork})`,
    },
    cap: { type: 'integer', min: LIMITS.cap[0], max: LIMITS.cap[1], help: 'volatile: iteration cap of the cached loop (default 100000, at most 10^8)' },
    n: {
      type: 'integer',
      min: LIMITS.n[0],
      max: LIMITS.n[1],
      help: `edu: the factorial to compute (default 10, at most ${LIMITS.n[1]};\nthe 32-bit result is 0 from 34 on)`,
    },
    serve: {
      type: 'boolean',
      help: 'serve the interactive page (page faults, COW, TLB, doorbell, byte lanes, UART and GPIO)\non http://127.0.0.1:PORT until Ctrl-C',
    },
    port: { type: 'integer', min: 0, max: 65535, help: 'with --serve: the port (default 8080; 0 picks a free one)' },
    irq: {
      type: 'boolean',
      help: 'edu: wait for the interrupt instead of polling the busy bit, through the\nsimulated UIO interrupt (the code of mmapkit uio edu), then raise and count 100',
    },
  },
  positionals: { min: 0, max: 1 },
  footer:
    'Numeric options are bounded so that every scenario ends within seconds; a value outside its\nbounds is a usage error. Exit status 0 when the scenario showed what it exists to show, 1 otherwise.',
  subcommands: { vm: loadVm },
  async run({ values, positionals, argv }) {
    if (values.serve) {
      if (positionals.length) throw cliUsageError(`--serve takes no scenario. Received '${positionals[0]}'`);
      const server = await serveWeb(values.port ?? 8080);
      const addr = server.address() as AddressInfo;
      process.stdout.write(`mmapkit: the interactive page is at http://127.0.0.1:${addr.port}/ (Ctrl-C stops the server)\n`);
      await new Promise<void>((resolve) => server.on('close', resolve));
      return 0;
    }
    if (values.port !== undefined) throw cliUsageError('--port goes with --serve');
    const name = positionals[0];
    if (name === undefined && argv.length === 0) {
      process.stderr.write(command.help());
      return 2;
    }
    if (name === undefined)
      throw cliUsageError(`Missing the scenario. Scenarios: ${[...Object.keys(SCENARIOS), 'all', 'vm'].join(', ')}; or --serve for the interactive page`);
    if (name !== 'all' && !(name in SCENARIOS)) {
      throw cliUsageError(`Unknown scenario '${name}'. Scenarios: ${[...Object.keys(SCENARIOS), 'all', 'vm'].join(', ')}`);
    }
    if (values.barrier && values['no-barrier']) throw cliUsageError('--barrier and --no-barrier contradict each other');
    if (values.text !== undefined) {
      const chars = [...values.text].length;
      if (chars > LIMITS.text) throw cliUsageError(`--text must be at most ${LIMITS.text} characters. Received ${chars}`, 'ERR_OUT_OF_RANGE');
      if (chars * (values.divisor ?? 1) > LIMITS.uartWork) {
        throw cliUsageError(
          `--text of ${chars} characters at --divisor ${values.divisor ?? 1} is too slow to simulate: characters × divisor must be at most ${LIMITS.uartWork}`,
          'ERR_OUT_OF_RANGE',
        );
      }
    } else if ((values.divisor ?? 1) * 19 > LIMITS.uartWork) {
      throw cliUsageError(
        `--divisor ${values.divisor} with the default 19-character text is too slow to simulate: characters × divisor must be at most ${LIMITS.uartWork}`,
        'ERR_OUT_OF_RANGE',
      );
    }
    const opts: Options = {
      seed: values.seed ?? 1,
      barrier: !values['no-barrier'],
      text: values.text,
      divisor: values.divisor,
      survey: values.survey,
      cap: values.cap,
      n: values.n,
      model: values.model as 'arm' | 'tso' | undefined,
      irq: values.irq,
    };
    const names = name === 'all' ? Object.keys(SCENARIOS) : [name];
    const results = await Promise.all(names.map((n) => SCENARIOS[n].run(opts)));
    if (values.json) {
      const out = results.map((r) => ({ scenario: r.scenario, ok: r.ok, summary: r.summary, ...r.data }));
      process.stdout.write(JSON.stringify(name === 'all' ? out : out[0], jsonReplacer, 2) + '\n');
    } else {
      for (const r of results) {
        process.stdout.write(r.lines.join('\n') + '\n\n' + `${r.ok ? 'OK' : 'NOT SHOWN'}: ${r.summary}\n` + (results.length > 1 ? '\n' : ''));
      }
    }
    return results.every((r) => r.ok) ? 0 : 1;
  },
});

export const summary = command.summary;
export const run = command.run;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}
