#!/usr/bin/env node
/**
 * The mmapkit command line. Each command lives in its own module under lib/cli/ and exports
 * `summary` (one line for the help text) and `run(argv)` (resolves to the exit code).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasCode } from '../errors';

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** Command name → module file (without extension) in this folder. */
const COMMANDS: Record<string, string> = {
  bench: 'bench',
  'csv-sum': 'csv-sum',
  residency: 'residency',
  devmem: 'devmem',
  gpio: 'gpio',
  sim: 'sim',
};

function available(): Record<string, Command> {
  const out: Record<string, Command> = {};
  for (const [name, file] of Object.entries(COMMANDS)) {
    const base = path.join(__dirname, file);
    if (fs.existsSync(base + '.js') || fs.existsSync(base + '.ts')) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      out[name] = require(base) as Command;
    }
  }
  return out;
}

function usage(cmds: Record<string, Command>): string {
  const width = Math.max(...Object.keys(cmds).map((n) => n.length), 4);
  const lines = Object.entries(cmds).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `usage: mmapkit <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    "Run 'mmapkit <command> --help' for a command's options.";
}

export async function main(argv: string[]): Promise<number> {
  const cmds = available();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(cmds) + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(require('../../package.json').version + '\n');
    return 0;
  }
  const cmd = cmds[name];
  if (!cmd) {
    process.stderr.write(`mmapkit: unknown command '${name}'\n\n${usage(cmds)}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const code = hasCode(err) ? ` [${err.code}]` : '';
    process.stderr.write(`mmapkit ${name}: ${(err as Error).message}${code}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1; },
  );
}
