/**
 * `mmapkit sim vm <scenario>`: run one of the mmap scenarios on the simulated virtual-memory
 * system and print what happened: the narrative, the trace of faults, copies, TLB misses,
 * evictions and writebacks, and the counters.
 */
import { runSimVmScenario, simVmScenarios, type SimVmScenarioResult } from '../sim/vm';
import { cliUsageError, defineCommand } from './command';

export const summary = 'run the mmap scenarios on the simulated virtual memory (page tables, faults, COW, TLB)';

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

const nameWidth = Math.max(...simVmScenarios.map((s) => s.name.length));

/** `mmapkit sim vm …`: `run(argv)` takes what follows `sim vm` and resolves to the exit code. */
export const command = defineCommand({
  name: 'sim vm',
  summary,
  usage: ['mmapkit sim vm <scenario> [options]', 'mmapkit sim vm all [options]'],
  description: ['scenarios:', ...simVmScenarios.map((s) => `  ${s.name.padEnd(nameWidth)}  ${s.title}`)].join('\n'),
  options: {
    json: { type: 'boolean', help: 'print the result as JSON (values, counters, trace)' },
    trace: { type: 'integer', min: 0, max: 1_000_000, help: 'keep up to N trace events (default 200; 0 for none)' },
    quiet: { type: 'boolean', help: 'leave out the trace' },
  },
  positionals: { min: 1, max: 1 },
  run({ values, positionals }) {
    const name = positionals[0];
    const names = name === 'all' ? simVmScenarios.map((s) => s.name) : [name];
    if (name !== 'all' && !simVmScenarios.some((s) => s.name === name)) {
      throw cliUsageError(`Unknown scenario '${name}'. Scenarios: ${simVmScenarios.map((s) => s.name).join(', ')}, all`);
    }
    const results = names.map((n) => runSimVmScenario(n, { trace: values.quiet ? 0 : values.trace }));
    if (values.json) {
      process.stdout.write(JSON.stringify(name === 'all' ? results : results[0], null, 2) + '\n');
    } else {
      process.stdout.write(results.map((r) => text(r, values.quiet)).join('\n'));
    }
    return 0;
  },
});

export const run = command.run;
