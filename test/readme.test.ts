// README.md's JavaScript examples must run as they are.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
// `npx mmapkit …` lines of the shell blocks that need no root or hardware.
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .filter((l) => l.startsWith('npx mmapkit '))
  .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/).slice(2));

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(4);
  });
  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => l.trim() && !l.trim().startsWith('const'))?.trim().slice(0, 60) ?? `block ${i}`;
    it(`example ${i + 1}: ${title}`, () => {
      const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // Every "// value" comment after a console.log must match what was printed, in order.
      const expected = [...code.matchAll(/console\.log\([^\n]*\/\/ ([^\n]+)/g)].map((m) => m[1].split(':')[0].trim());
      const printed = r.stdout.trim().split('\n');
      expected.forEach((want, k) => {
        for (const token of want.replace(/'/g, '').split(/\s+/)) expect(printed[k]).toContain(token.replace(/\\n/g, '\n').trim());
      });
    });
  });
  commands.forEach((args) => {
    it(`command: mmapkit ${args.join(' ')}`, () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    });
  });
});
