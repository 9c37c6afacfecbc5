/**
 * Loads the native addon. Tries, in order: the file named by MMAPKIT_BINDING, a build from source
 * (build/Release, build/Debug) and the prebuilt binaries shipped in prebuilds/. If none loads, the
 * error lists every candidate with its reason and says how to fix it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nativeErrorFactory, usageError } from './errors';

/** The package root: the nearest folder above this file whose package.json is mmapkit's. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'mmapkit') return dir;
      } catch {
        /* not ours: keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw usageError('ERR_MMAPKIT_BINDING', `mmapkit: cannot find its package.json above ${__dirname}`);
    dir = up;
  }
}

// The binding's surface is typed where it is used (lib/mapping.ts and friends).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Binding = Record<string, any>;

let cached: Binding | undefined;

function candidates(root: string): string[] {
  const list: string[] = [];
  if (process.env.MMAPKIT_BINDING) list.push(path.resolve(process.env.MMAPKIT_BINDING));
  list.push(path.join(root, 'build', 'Release', 'mmapkit.node'));
  list.push(path.join(root, 'build', 'Debug', 'mmapkit.node'));
  const pre = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(pre)) {
    for (const f of fs.readdirSync(pre).sort()) if (f.endsWith('.node')) list.push(path.join(pre, f));
  } else {
    list.push(path.join(pre, 'mmapkit.node'));
  }
  return list;
}

/**
 * A copy of the addon's exports made property by property. The exports object itself holds its
 * functions in V8's dictionary mode (they are many, and set from native code), so every
 * `binding().fn` lookup would be a hash lookup; on the copy it is an ordinary cached load.
 */
function withFastProperties(b: Binding): Binding {
  const fast = {} as Binding;
  for (const key of Object.keys(b)) {
    Object.defineProperty(fast, key, { value: b[key], enumerable: true, writable: false, configurable: false });
  }
  return fast;
}

/** The loaded addon (loaded once, on first use). */
export function binding(): Binding {
  if (cached) return cached;
  const root = packageRoot();
  const failures: string[] = [];
  for (const file of candidates(root)) {
    if (!fs.existsSync(file)) {
      failures.push(`  ${file}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const b = require(file) as Binding;
      b.setErrorFactory(nativeErrorFactory);
      cached = withFastProperties(b);
      return cached;
    } catch (err) {
      failures.push(`  ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw usageError(
    'ERR_MMAPKIT_BINDING',
    `mmapkit could not load its native addon for ${process.platform}-${process.arch}, Node ${process.version} ` +
      `(Node-API ${process.versions.napi}). Tried:\n${failures.join('\n')}\n` +
      'To fix it: mmapkit needs Linux and Node-API 8 (Node 18.18 or later). Build from source with ' +
      "'npm rebuild mmapkit' (needs python3, make and a C++17 compiler: 'apt-get install python3 make g++'), " +
      "or reinstall without '--ignore-scripts' so the install step can build it.",
  );
}
