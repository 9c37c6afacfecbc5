// README.md's JavaScript examples and command lines must run as they are: the JS blocks in a child
// Node process, the `npx mmapkit …` lines through the shell exactly as written (so npx resolves the
// package's bin and runs dist/cli/main.js by its shebang, which needs the execute bit the build sets).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
// Shell-block lines that run `npx mmapkit …` and need no root or hardware (no sudo), with the
// number their comment promises, if any (`# 847`).
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .filter((l) => /(^|\| )npx mmapkit /.test(l) && !l.startsWith('sudo '))
  .map((l) => ({ line: l.replace(/\s+#.*$/, '').trim(), expect: /#\s*(-?\d+)\b/.exec(l)?.[1] }));

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(4);
  });
  blocks.forEach((code, i) => {
    const title =
      code
        .split('\n')
        .find((l) => l.trim() && !l.trim().startsWith('const'))
        ?.trim()
        .slice(0, 60) ?? `block ${i}`;
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
  it('has command lines', () => {
    expect(commands.length).toBeGreaterThan(4);
  });
  it('the bin file (package.json "bin") is executable after the build and runs by its shebang', () => {
    const bin = path.join(ROOT, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin.mmapkit as string);
    expect(fs.statSync(bin).mode & 0o111).toBe(0o111);
    expect(fs.readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = spawnSync(bin, ['csv-sum', '-'], { input: '12,34\n', encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('46\n');
  });
  commands.forEach(({ line, expect: want }) => {
    it(`command: ${line}`, () => {
      // npx without a prompt (npm_config_yes), in the package's own folder: it runs the package's bin.
      const r = spawnSync('sh', ['-c', line], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, npm_config_yes: 'true', npm_config_update_notifier: 'false' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
      if (want !== undefined) expect(r.stdout.split('\n')[0]).toBe(want);
    });
  });
});
