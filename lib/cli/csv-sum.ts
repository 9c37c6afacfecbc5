/**
 * `mmapkit csv-sum FILE [--method M] [--via mmap|read]`: the seed's CSV sum over a file. Prints
 * the sum (a signed 64-bit integer); with --all, every available method with its speed.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { csvMethods, csvSumFile, type CsvMethod } from '../csv';
import { usageError } from '../errors';
import { addonAvailable } from '../native';

export const summary = "sum the numbers of a CSV file, as the seed's example loop does (native SIMD parser by default)";

const HELP = `usage: mmapkit csv-sum [options] FILE

Sums the numbers of FILE the way the seed's example loop does: digits build a number, ',' and
'\\n' end it, other bytes are skipped, a final number without a newline is not added; 64-bit
wrapping arithmetic. Prints the sum.

options:
  --method M     auto (default), seed, swar, avx2, avx512, neon, js or js-seed
                 (default js where the native addon is not available)
  --via V        mmap (default: map the file) or read (read() chunks; the default where the
                 native addon is not available)
  --chunk SIZE   read() chunk size in bytes with --via read (default 1048576)
  --all          run every method available here, print each sum and its speed
  --time         print the time and speed to stderr
  --json         print JSON
  -h, --help     show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      method: { type: 'string' },
      via: { type: 'string' },
      chunk: { type: 'string' },
      all: { type: 'boolean', default: false },
      time: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('ERR_INVALID_ARG_VALUE', `expected one FILE, got ${positionals.length} (see --help)`);
  const file = positionals[0];
  // Without the native addon (macOS, Windows, MMAPKIT_NO_ADDON=1) the defaults are the ones that run there.
  const native = values.method === undefined || values.via === undefined ? addonAvailable() : true;
  const via = (values.via ?? (native ? 'mmap' : 'read')) as 'mmap' | 'read';
  const single = (values.method ?? (native ? 'auto' : 'js')) as CsvMethod;
  if (!native) process.stderr.write(`mmapkit csv-sum: the native addon is not available here, so the defaults are --method js --via read\n`);
  const chunkSize = values.chunk === undefined ? undefined : Number(values.chunk);
  const size = fs.statSync(file).size;
  const methods: CsvMethod[] = values.all ? csvMethods() : [single];
  const results: { method: string; via: string; sum: string; seconds: number; gbPerSec: number }[] = [];
  for (const method of methods) {
    const t0 = process.hrtime.bigint();
    const sum = csvSumFile(file, { method, via, chunkSize });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    results.push({ method, via, sum: sum.toString(), seconds, gbPerSec: seconds > 0 ? size / seconds / 1e9 : 0 });
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(values.all ? { file, bytes: size, results } : { file, bytes: size, ...results[0] }) + '\n');
  } else if (values.all) {
    for (const r of results) process.stdout.write(`${r.method.padEnd(8)} ${r.sum}  ${(r.seconds * 1e3).toFixed(1)} ms  ${r.gbPerSec.toFixed(2)} GB/s\n`);
  } else {
    process.stdout.write(results[0].sum + '\n');
    if (values.time) process.stderr.write(`${results[0].method} via ${via}: ${(results[0].seconds * 1e3).toFixed(1)} ms, ${results[0].gbPerSec.toFixed(2)} GB/s\n`);
  }
  const distinct = new Set(results.map((r) => r.sum));
  return distinct.size === 1 ? 0 : 1;
}
