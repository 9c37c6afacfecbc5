// Each soak item prints its figure as one `soak: …` line (plus details), and appends it to the
// run's summary file, which the global teardown (test/soak/setup.ts) prints again at the end.
import * as fs from 'node:fs';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    soakSummary: string;
  }
}

export function report(line: string, detail = ''): void {
  console.log(detail ? `${line}\n${detail}` : line);
  fs.appendFileSync(inject('soakSummary'), `${line}\n${detail ? `${detail}\n` : ''}`);
}
