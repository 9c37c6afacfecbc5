// docs/ipc.md's examples run as written: each JS block is saved as a file (the two-process one
// spawns itself through __filename) and run with `require('mmapkit')` resolving to this package.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './support/helpers';

const doc = fs.readFileSync(path.join(ROOT, 'docs', 'ipc.md'), 'utf8');
const blocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('docs/ipc.md examples', () => {
  const dir = tempDir('mmapkit-ipc-doc-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'mmapkit'));

  it('has the two-process example', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks[0]).toContain("spawn(process.execPath, [__filename, 'child']");
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and prints what its comments say`, () => {
      const file = path.join(dir, `example-${i + 1}.js`);
      fs.writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const expected = [...code.matchAll(/console\.log\([^\n]*\/\/ ([^\n]+)/g)].map((m) => m[1].trim());
      const printed = r.stdout.trim().split('\n').sort();
      expect(printed).toEqual(expected.sort());
    });
  });
});
