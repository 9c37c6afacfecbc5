// Loaded before every test file (vitest setupFiles): every error mmapkit builds in the file —
// through the table, the system-error builder or the addon's factory — is checked as it is built:
// its code must be one the table (or the errno / signal families) knows, and it must be of that
// code's one class. A file with a stray error fails in its afterAll.
import { afterAll, expect } from 'vitest';
import { setErrorAudit } from '../../lib/errors';
import { auditProblem } from './audit';

const problems: string[] = [];

setErrorAudit((err) => {
  const p = auditProblem(err);
  if (p !== undefined && problems.length < 50) problems.push(p);
});

afterAll(() => {
  setErrorAudit(undefined);
  expect(problems, 'errors built against the table').toEqual([]);
});
