/**
 * One shape for every `mmapkit` command: `defineCommand({ name, summary, usage, options, run })`
 * gives each command its help text, option parsing, size parsing, error wording and exit statuses
 * from this one place.
 *
 * Exit statuses: 0 success, 1 a runtime failure, 2 a usage error (unknown command or option,
 * missing or malformed argument), 130 interrupted (Ctrl-C).
 */
import { parseArgs } from 'node:util';
import { MmapkitError, codedError, hasCode, isTableCode, type ErrorCode } from '../errors';
import { formatBytesVmtouch, parseSize as parseSizeText } from '../format';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Errors raised for what the user typed: main() exits 2 for these, 1 for every other error. */
const usageErrors = new WeakSet<object>();

/** A usage error (exit status 2) with a stable code; the message names what the user typed. */
export function cliUsageError(message: string, code: ErrorCode = 'ERR_INVALID_ARG_VALUE'): Error & { code: string } {
  const err = codedError(code, message);
  usageErrors.add(err);
  return err as Error & { code: string };
}

/** True for errors that main() reports with exit status 2. */
export function isUsageError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  if (usageErrors.has(err)) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Runs `fn` (a parser of user input: pin lists, numbers …) and marks what it throws as a usage
 * error, keeping its code and message.
 */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err !== null && typeof err === 'object') usageErrors.add(err);
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// Values: sizes and integers, one grammar each

/**
 * Parses a size as every size option takes it (lib/format.ts: 64k, 1m, 2MiB, 1.5g, 4096 …); what it
 * throws is a usage error (exit status 2). `what` names the option in messages ('--chunk').
 */
export function parseSize(text: string, what: string, range: { min?: number; max?: number } = {}): number {
  return asUsage(() => parseSizeText(text, what, range));
}

/** An integer option: decimal (or 0x-hex); scientific notation (1e9) is refused as not an integer. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  const t = String(text).trim();
  const n = /^-?\d+$/.test(t) ? Number(t) : /^0x[0-9a-f]+$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw cliUsageError(
      `${what} must be an integer from ${min} to ${max}. Received '${text}'`,
      Number.isSafeInteger(n) ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_VALUE',
    );
  }
  return n;
}

// ------------------------------------------------------------------------------------------------
// Options

interface BaseOption {
  /** One letter: `-x`. */
  short?: string;
  /** The placeholder shown in the help text ('SIZE', 'N'). */
  arg?: string;
  /** One line (or more) of help. */
  help: string;
}
export interface BooleanOption extends BaseOption {
  type: 'boolean';
}
export interface StringOption extends BaseOption {
  type: 'string';
  choices?: readonly string[];
  /** Deprecated values still accepted, and the choice each stands for (not listed in help or errors). */
  aliases?: Readonly<Record<string, string>>;
  default?: string;
}
export interface SizeOption extends BaseOption {
  type: 'size';
  min?: number;
  max?: number;
  default?: number;
}
export interface IntegerOption extends BaseOption {
  type: 'integer';
  min: number;
  max: number;
  default?: number;
}
export type OptionSpec = BooleanOption | StringOption | SizeOption | IntegerOption;
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S> = S extends BooleanOption ? boolean : S extends StringOption ? string : number;
/** The parsed options: booleans are always set; others are undefined unless given or defaulted. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends BooleanOption ? boolean : O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

export interface CommandContext<O extends OptionSpecs> {
  /** The command's name as typed ('csv-sum', 'sim vm'). */
  name: string;
  values: OptionValues<O>;
  positionals: string[];
  /** The arguments as given (after the command name). */
  argv: string[];
  /** Whether stderr is a terminal (progress is shown only then). */
  tty: boolean;
}

export interface CommandSpec<O extends OptionSpecs> {
  /** 'csv-sum', or 'sim vm' for a subcommand. */
  name: string;
  summary: string;
  /** Usage lines without the leading 'usage: ' ('mmapkit csv-sum [options] FILE|-'). */
  usage: string | readonly string[];
  /** Paragraphs printed between the usage lines and the options. */
  description?: string;
  options: O;
  /** Text printed after the options (arguments, exit statuses). */
  footer?: string;
  /** How many positional arguments the command takes. */
  positionals?: { min?: number; max?: number };
  /** Subcommands reached by their name as the first argument ('sim vm …'), loaded when used. */
  subcommands?: Record<string, () => Promise<Command>>;
  run(ctx: CommandContext<O>): Promise<number> | number;
}

export interface Command {
  name: string;
  summary: string;
  help(): string;
  /** Parses argv and runs; resolves to the exit status. Usage errors are thrown, marked (see isUsageError). */
  run(argv: string[]): Promise<number>;
}

const EXIT_TEXT = 'exit status: 0 success, 1 failure, 2 usage error (bad command, option or argument), 130 interrupted';

function helpText<O extends OptionSpecs>(spec: CommandSpec<O>): string {
  const usage = (typeof spec.usage === 'string' ? [spec.usage] : spec.usage).map((u, i) => (i === 0 ? `usage: ${u}` : `       ${u}`));
  const rows: Array<[string, string]> = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'boolean' ? '' : ` ${o.arg ?? (o.type === 'size' ? 'SIZE' : o.type === 'integer' ? 'N' : 'VALUE')}`}`;
    rows.push([flag, o.help]);
  }
  rows.push(['-h, --help', 'show this help']);
  const width = Math.min(Math.max(...rows.map(([f]) => f.length)), 24);
  const opts = rows.map(([f, h]) => {
    const lines = h.split('\n');
    const first = f.length > width ? `  ${f}\n  ${' '.repeat(width)}  ${lines[0]}` : `  ${f.padEnd(width)}  ${lines[0]}`;
    return [first, ...lines.slice(1).map((l) => `  ${' '.repeat(width)}  ${l}`)].join('\n');
  });
  return [
    usage.join('\n'),
    '',
    ...(spec.description ? [spec.description.trimEnd(), ''] : []),
    'options:',
    ...opts,
    '',
    ...(spec.footer ? [spec.footer.trimEnd(), ''] : []),
    EXIT_TEXT,
    '',
  ].join('\n');
}

function parseError(err: unknown, name: string): Error {
  const e = err as { code?: string; message?: string };
  const msg = String(e.message ?? err);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const opt = /option '([^']+)'/.exec(msg)?.[1] ?? msg;
    return cliUsageError(`unknown option '${opt}' (see 'mmapkit ${name} --help')`, e.code);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const opt = /Option '(-\w, )?(--[\w-]+)/.exec(msg)?.[2];
    if (opt && /argument missing/.test(msg)) return cliUsageError(`${opt} needs a value (see 'mmapkit ${name} --help')`, e.code);
    if (opt && /ambiguous/.test(msg)) return cliUsageError(`${opt} needs a value; to give one starting with '-', write ${opt}=VALUE`, e.code);
    if (opt && /does not take an argument/.test(msg)) return cliUsageError(`${opt} takes no value`, e.code);
    return cliUsageError(msg.split('\n')[0], e.code);
  }
  if (e.code?.startsWith('ERR_PARSE_ARGS_')) return cliUsageError(msg.split('\n')[0], isTableCode(e.code) ? e.code : 'ERR_INVALID_ARG_VALUE');
  return err as Error;
}

/** Defines a command: the returned object parses argv, prints help, validates values and runs. */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const help = () => helpText(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async run(argv: string[]): Promise<number> {
      const sub = argv.length > 0 && spec.subcommands && Object.hasOwn(spec.subcommands, argv[0]) ? spec.subcommands[argv[0]] : undefined;
      if (sub) return (await sub()).run(argv.slice(1));
      if (argv.includes('--help') || argv.includes('-h')) {
        // Only when it is an option (not a value of another option or after '--').
        const end = argv.indexOf('--');
        const at = argv.findIndex((a) => a === '--help' || a === '-h');
        if (end < 0 || at < end) {
          process.stdout.write(help());
          return EXIT_OK;
        }
      }
      const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
      for (const [name, o] of Object.entries(spec.options)) {
        options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
      }
      options.help = { type: 'boolean', short: 'h' };
      let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
      try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as typeof parsed;
      } catch (err) {
        throw parseError(err, spec.name);
      }
      const min = spec.positionals?.min ?? 0;
      const max = spec.positionals?.max ?? Infinity;
      if (argv.length === 0 && min > 0) {
        process.stderr.write(help());
        return EXIT_USAGE;
      }
      const n = parsed.positionals.length;
      if (n < min || n > max) {
        const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
        const got = n > max ? `: unexpected '${parsed.positionals[max]}'` : `, got ${n}`;
        throw cliUsageError(`expected ${want} argument${want === '1' ? '' : 's'}${got} (see 'mmapkit ${spec.name} --help')`);
      }
      const values: Record<string, unknown> = {};
      for (const [name, o] of Object.entries(spec.options)) {
        const raw = parsed.values[name];
        const flag = `--${name}`;
        if (o.type === 'boolean') {
          values[name] = raw === true;
        } else if (raw === undefined) {
          values[name] = o.default;
        } else if (o.type === 'string') {
          const s = o.aliases && Object.hasOwn(o.aliases, raw as string) ? o.aliases[raw as string] : (raw as string);
          if (o.choices && !o.choices.includes(s)) {
            throw cliUsageError(
              `${flag} must be ${o.choices.length === 2 ? `${o.choices[0]} or ${o.choices[1]}` : `one of ${o.choices.join(', ')}`}. Received '${s}'`,
            );
          }
          values[name] = s;
        } else if (o.type === 'size') {
          values[name] = parseSize(raw as string, flag, { min: o.min, max: o.max });
        } else {
          values[name] = parseInteger(raw as string, flag, o.min, o.max);
        }
      }
      return spec.run({ name: spec.name, values: values as OptionValues<O>, positionals: parsed.positionals, argv, tty: process.stderr.isTTY === true });
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Progress on a terminal, and Ctrl-C

/** Thrown by checkpoints after Ctrl-C; main() exits 130 for it. */
export class InterruptedError extends MmapkitError {
  constructor() {
    super('ERR_MMAPKIT_INTERRUPTED', 'interrupted');
    this.name = 'InterruptedError';
  }
}

let interrupted = false;
let sigintInstalled = false;
let progressShown = false;

/** Clears the progress line, if one is on screen. */
export function clearProgress(): void {
  if (progressShown) {
    process.stderr.write('\r\x1b[K');
    progressShown = false;
  }
}

/**
 * Makes the running command cancellable: the first Ctrl-C makes the next {@link Progress.check}
 * throw {@link InterruptedError} (so mappings and files are released by the command's `finally`
 * blocks); if the command is blocked (reading a pipe), the process ends with status 130 at once.
 */
export function handleInterrupts(command: string): void {
  if (sigintInstalled) return;
  sigintInstalled = true;
  const onSigint = () => {
    clearProgress();
    if (!interrupted) {
      interrupted = true;
      reportInterrupt(command);
    }
    // A command waiting in a blocked read (a pipe, a FIFO without data) never reaches a checkpoint,
    // and process.exit() would wait for that read: end by the signal itself, as the shell expects.
    setTimeout(() => {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
    }, 200).unref();
  };
  process.on('SIGINT', onSigint);
}

let interruptReported = false;

/** Prints `mmapkit CMD: interrupted` once. */
export function reportInterrupt(command: string): void {
  if (interruptReported) return;
  interruptReported = true;
  process.stderr.write(`mmapkit ${command}: interrupted\n`);
}

/**
 * Progress on stderr while long work runs: shown only when stderr is a terminal (and not with
 * --quiet), redrawn at most every 100 ms, erased when done. `check()` yields to the event loop
 * now and then so Ctrl-C is noticed, and throws InterruptedError once it was pressed.
 */
export class Progress {
  private last = 0;
  private lastYield = Date.now();
  constructor(readonly enabled: boolean) {}

  /** Shows `text` (one line, overwritten by the next call). */
  update(text: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const cols = process.stderr.columns || 80;
    process.stderr.write(`\r\x1b[K${text.length >= cols ? text.slice(0, cols - 1) : text}`);
    progressShown = true;
  }

  /** Erases the progress line. */
  done(): void {
    if (this.enabled) clearProgress();
  }

  /** Lets pending signals run (every 50 ms of work) and throws after Ctrl-C. */
  async check(): Promise<void> {
    const now = Date.now();
    if (now - this.lastYield >= 50) {
      this.lastYield = now;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (interrupted) throw new InterruptedError();
  }
}

/** A size as vmtouch prints it (260K): lib/format.ts's formatBytesVmtouch. */
export const prettySize = formatBytesVmtouch;

/** 'done/total (p%)' for progress lines. */
export function progressBytes(done: number, total: number): string {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  return `${prettySize(done)}/${prettySize(total)} (${pct}%)`;
}

/** How main() prints an error: `mmapkit NAME: message [CODE]`. */
export function errorLine(name: string, err: unknown): string {
  const code = hasCode(err) ? ` [${err.code}]` : '';
  return `mmapkit${name ? ` ${name}` : ''}: ${(err as Error)?.message ?? String(err)}${code}\n`;
}
