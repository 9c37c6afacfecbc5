/**
 * `mmapkit sim vm <scenario>`: run one of the seed's mmap scenarios on the simulated virtual-memory
 * system and print what happened: the narrative, the trace of faults, copies, TLB misses,
 * evictions and writebacks, and the counters.
 */
import { parseArgs } from 'node:util';
import { usageError } from '../errors';
import { runSimVmScenario, simVmScenarios, type SimVmScenarioResult } from '../sim/vm';

export const summary = "run the seed's mmap scenarios on the simulated virtual memory (page tables, faults, COW, TLB)";

function help(): string {
  const width = Math.max(...simVmScenarios.map((s) => s.name.length));
  const list = simVmScenarios.map((s) => `  ${s.name.padEnd(width)}  ${s.title}`).join('\n');
  return `usage: mmapkit sim vm <scenario> [options]
       mmapkit sim vm all [options]

scenarios:
${list}

options:
  --json        print the result as JSON (values, counters, trace)
  --trace N     keep up to N trace events (default 200; 0 for none)
  --quiet       leave out the trace
  -h, --help    this help
`;
}

function fmtCounters(c: object): string {
  const parts = Object.entries(c)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(' ') : '(all zero)';
}

function text(r: SimVmScenarioResult, quiet: boolean): string {
  const out: string[] = [];
  out.push(`== ${r.name}: ${r.title}`);
  for (const l of r.lines) out.push(`  ${l}`);
  if (!quiet && r.trace.length > 0) {
    out.push('trace:');
    for (const e of r.trace) {
      out.push(`  #${String(e.seq).padStart(6)} ${e.kind.padEnd(10)} pid ${e.pid} 0x${e.addr.toString(16).padStart(12, '0')}  ${e.detail}`);
    }
    if (r.droppedEvents > 0) out.push(`  … ${r.droppedEvents} more events not kept`);
  }
  out.push('counters:');
  for (const [name, c] of Object.entries(r.processes)) out.push(`  process ${name}: ${fmtCounters(c)}`);
  out.push(`  machine: ${fmtCounters(r.global)}`);
  return out.join('\n') + '\n';
}

/** `argv` is what follows `sim vm`. Resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      trace: { type: 'string' },
      quiet: { type: 'boolean', default: false },
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
  let trace: number | undefined;
  if (values.trace !== undefined) {
    trace = Number(values.trace);
    if (!Number.isInteger(trace) || trace < 0) {
      throw usageError('ERR_INVALID_ARG_VALUE', `--trace must be a non-negative integer. Received '${values.trace}'`);
    }
  }
  const name = positionals[0];
  const names = name === 'all' ? simVmScenarios.map((s) => s.name) : [name];
  if (name !== 'all' && !simVmScenarios.some((s) => s.name === name)) {
    throw usageError('ERR_INVALID_ARG_VALUE',
      `Unknown scenario '${name}'. Scenarios: ${simVmScenarios.map((s) => s.name).join(', ')}, all`);
  }
  const results = names.map((n) => runSimVmScenario(n, { trace: values.quiet ? 0 : trace }));
  if (values.json) {
    process.stdout.write(JSON.stringify(name === 'all' ? results : results[0], null, 2) + '\n');
  } else {
    process.stdout.write(results.map((r) => text(r, values.quiet)).join('\n'));
  }
  return 0;
}
