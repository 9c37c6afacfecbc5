/**
 * Child-process entry: runs one suite in a fresh Node process.
 * argv: <suite module path> <context JSON file> <output JSON file>
 */
import * as fs from 'node:fs';
import { addonAvailable } from 'mmapkit';
import { createContext, type ContextInit } from './context';
import type { Suite, SuiteOutput } from './types';

async function main(): Promise<void> {
  const [modPath, ctxFile, outFile] = process.argv.slice(2);
  const init = JSON.parse(fs.readFileSync(ctxFile, 'utf8')) as ContextInit;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modPath) as { suite?: Suite };
  const suite = mod.suite;
  if (!suite) throw new Error(`${modPath} does not export 'suite'`);
  const ctx = createContext({ ...init, suite: suite.name });
  const out: SuiteOutput = { suite: suite.name, title: suite.title, rows: ctx.rows, checks: ctx.checks, remarks: ctx.remarks, facts: ctx.facts };
  const avail =
    suite.native !== false && !addonAvailable()
      ? `needs mmapkit's native addon, which is not available on ${process.platform}-${process.arch}`
      : suite.available
        ? suite.available()
        : true;
  if (avail !== true) {
    out.skipped = avail;
  } else {
    try {
      await suite.run(ctx);
    } catch (err) {
      out.error = err instanceof Error ? `${err.message}${(err as { code?: string }).code ? ` [${(err as { code?: string }).code}]` : ''}` : String(err);
      process.stderr.write(`  ${suite.name}: FAILED: ${err instanceof Error ? err.stack : String(err)}\n`);
    }
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
    process.exit(1);
  },
);
