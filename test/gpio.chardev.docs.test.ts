// docs/gpio.md's button/LED example runs as written on the simulated Pis and prints what the
// document says it prints.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT } from './support/helpers';

const doc = fs.readFileSync(path.join(ROOT, 'docs', 'gpio.md'), 'utf8');
const section = doc.slice(doc.indexOf('### Example: a button and an LED'));
const code = /```js\n([\s\S]*?)```/.exec(section)![1];
const expected = /It prints[^\n]*\n\n```\n([\s\S]*?)```/.exec(section)![1];

describe('docs/gpio.md: the button/LED example', () => {
  test('the example is the button-led.js program', () => {
    expect(code).toContain("require('mmapkit')");
    expect(expected.split('\n').filter(Boolean)).toHaveLength(4);
  });
  test.each(['pi4', 'pi3', 'pi5'])('runs with --sim %s and prints the documented lines', (model) => {
    const r = spawnSync(process.execPath, ['-e', code, '--', '--sim', model], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });
});
