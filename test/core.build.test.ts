// The build itself: strict TypeScript, and native code free of warnings under -Wall -Wextra with
// the flags binding.gyp uses (one exception mode, Node-API 8).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers';

function nodeHeaders(): string | undefined {
  const candidates = [
    '/usr/include/node',
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
    path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'),
  ];
  return candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

describe('the build', () => {
  it.each(['tsconfig.json', 'bench/tsconfig.json'])(
    'type-checks %s under strict TypeScript',
    (project) => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
    120_000,
  );

  it('pins Node-API 8 and C++ exceptions in binding.gyp', () => {
    const gyp = fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8');
    expect(gyp).toContain('"NAPI_VERSION=8"');
    expect(gyp).toContain('"NAPI_CPP_EXCEPTIONS"');
    expect(gyp).not.toContain('NAPI_DISABLE_CPP_EXCEPTIONS');
  });

  const headers = nodeHeaders();
  it.skipIf(!headers)(
    'compiles every native source without a warning under -Wall -Wextra',
    () => {
      const sources = spawnSync(process.execPath, [path.join(ROOT, 'native', 'sources.js')], { encoding: 'utf8' })
        .stdout.trim()
        .split(/\s+/);
      expect(sources.length).toBeGreaterThan(3);
      const addonApi = path.join(ROOT, 'node_modules', 'node-addon-api');
      const warnings: string[] = [];
      for (const src of sources) {
        const r = spawnSync(
          'g++',
          [
            '-std=gnu++17',
            '-fsyntax-only',
            '-Wall',
            '-Wextra',
            '-fexceptions',
            '-DNAPI_VERSION=8',
            '-DNAPI_CPP_EXCEPTIONS',
            '-DNODE_ADDON_API_DISABLE_DEPRECATED',
            '-D_GNU_SOURCE',
            '-D_FILE_OFFSET_BITS=64',
            `-I${headers}`,
            `-I${addonApi}`,
            '-Inative',
            src,
          ],
          { cwd: ROOT, encoding: 'utf8' },
        );
        if (r.status !== 0 || r.stderr.trim() !== '') warnings.push(`${src}:\n${r.stderr}`);
      }
      expect(warnings.join('\n')).toBe('');
    },
    300_000,
  );
});
