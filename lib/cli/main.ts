#!/usr/bin/env node
/**
 * The mmapkit command line. Each command lives in its own module under lib/cli/ and exports
 * `command`, built with defineCommand() (lib/cli/command.ts), which gives every command its help,
 * option parsing, error wording and exit statuses: 0 success, 1 failure, 2 usage error,
 * 130 interrupted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  InterruptedError,
  clearProgress,
  errorLine,
  reportInterrupt,
  isUsageError,
  type Command,
} from './command';

export type { Command } from './command';

/** Command name → module file (without extension) in this folder. */
const COMMANDS: Record<string, string> = {
  bench: 'bench',
  'csv-sum': 'csv-sum',
  residency: 'residency',
  devmem: 'devmem',
  gpio: 'gpio',
  gpiochip: 'gpiochip',
  sim: 'sim',
  uio: 'uio',
};

function available(): Record<string, Command> {
  const out: Record<string, Command> = {};
  for (const [name, file] of Object.entries(COMMANDS)) {
    const base = path.join(__dirname, file);
    if (fs.existsSync(base + '.js') || fs.existsSync(base + '.ts')) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      out[name] = (require(base) as { command: Command }).command;
    }
  }
  return out;
}

function usage(cmds: Record<string, Command>): string {
  const width = Math.max(...Object.keys(cmds).map((n) => n.length), 4);
  const lines = Object.entries(cmds).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return (
    `usage: mmapkit <command> [options]\n       mmapkit help <command>\n\ncommands:\n${lines.join('\n')}\n\n` +
    "Run 'mmapkit help <command>' or 'mmapkit <command> --help' for a command's options.\n" +
    'exit status: 0 success, 1 failure, 2 usage error (bad command, option or argument), 130 interrupted\n'
  );
}

export async function main(argv: string[]): Promise<number> {
  const cmds = available();
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage(cmds));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(usage(cmds));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v' || name === '-V') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(require('../../package.json').version + '\n');
    return EXIT_OK;
  }
  if (name === 'help') {
    const cmd = cmds[rest[0]];
    if (!cmd || rest.length > 1) {
      process.stderr.write(`mmapkit: ${cmd ? `'help' takes one command, got ${rest.length}` : `unknown command '${rest[0]}'`}\n\n${usage(cmds)}`);
      return EXIT_USAGE;
    }
    process.stdout.write(cmd.help());
    return EXIT_OK;
  }
  const cmd = cmds[name];
  if (!cmd) {
    process.stderr.write(`mmapkit: unknown command '${name}'\n\n${usage(cmds)}`);
    return EXIT_USAGE;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    clearProgress();
    if (err instanceof InterruptedError) {
      reportInterrupt(name);
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(errorLine(name, err));
    return isUsageError(err) ? EXIT_USAGE : EXIT_FAILURE;
  }
}

if (require.main === module) {
  // A reader that stops early (`mmapkit gpio | head -1`) ends the command quietly, not with a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT_OK);
      throw err;
    });
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(String(err?.stack ?? err) + '\n');
      process.exitCode = EXIT_FAILURE;
    },
  );
}
