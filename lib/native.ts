/**
 * Loads the native addon, on first use (importing mmapkit never loads it). Tries, in order: the
 * file named by MMAPKIT_BINDING, a build from source (build/Release, build/Debug) and the prebuilt
 * binaries shipped in prebuilds/.
 *
 * - No binary at all for this platform (macOS, Windows, a Linux where the install step could not
 *   build one), or MMAPKIT_NO_ADDON=1: every native call throws ERR_MMAPKIT_UNSUPPORTED naming the
 *   platform and the call; the simulator and the JavaScript CSV methods keep working.
 * - A binary that is there but does not load: ERR_MMAPKIT_BINDING, listing every candidate with its
 *   reason and saying how to fix it (a binary that fails to load is never silently skipped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Binding } from './binding';
import { nativeErrorFactory, codedError } from './errors';

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
    if (up === dir) throw codedError('ERR_MMAPKIT_BINDING', `mmapkit: cannot find its package.json above ${__dirname}`);
    dir = up;
  }
}

export type { Binding } from './binding';

let cached: Binding | undefined;

/** The platform as the prebuilt binaries' folders name it ('linux-x64', 'darwin-arm64' …). */
export function platformName(): string {
  return `${process.platform}-${process.arch}`;
}

/** Whether MMAPKIT_NO_ADDON asks mmapkit to behave as if no native addon existed. */
function addonDisabled(): boolean {
  const v = process.env.MMAPKIT_NO_ADDON;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A candidate file, and why it is not tried when its tags say it cannot fit this process. */
interface Candidate {
  file: string;
  skip?: string;
}

let libcSeen: string | null | undefined;
/** The C library this process runs on ('glibc' or 'musl'), from its own memory map. */
function runningLibc(): string | null {
  if (libcSeen === undefined) {
    try {
      const maps = fs.readFileSync('/proc/self/maps', 'latin1');
      libcSeen = /ld-musl-|libc\.musl-/.test(maps) ? 'musl' : /\/libc\.so\.6|\/libc-2\.\d+\.so/.test(maps) ? 'glibc' : null;
    } catch {
      libcSeen = null;
    }
  }
  return libcSeen;
}

/** The ARM architecture version this process can run: the CPU's, else the one Node was built for. */
function armVersion(): number | undefined {
  let cpu = 0;
  try {
    const m = /^CPU architecture\s*:\s*(\d+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'latin1'));
    if (m) cpu = Number(m[1]);
  } catch {
    /* no /proc: rely on Node's own build */
  }
  const vars = (process.config?.variables ?? {}) as Record<string, unknown>;
  const node = Number(vars.arm_version) || 0;
  const v = Math.max(cpu, node);
  return v > 0 ? v : undefined;
}

/**
 * Why a prebuilt binary cannot fit this process, from the tags in its name (node-gyp-build's
 * naming: mmapkit.armv7.node, mmapkit.musl.node); undefined when nothing rules it out.
 */
function tagMismatch(file: string): string | undefined {
  for (const tag of path.basename(file).split('.').slice(1, -1)) {
    if (tag === 'glibc' || tag === 'musl') {
      const libc = runningLibc();
      if (libc && libc !== tag) return `built for ${tag}, and this process runs on ${libc}`;
    } else if (/^armv\d+$/.test(tag)) {
      const want = Number(tag.slice(4));
      const have = armVersion();
      if (have !== undefined && have < want) return `built for ARMv${want}, and this CPU and Node are ARMv${have}`;
    }
  }
  return undefined;
}

/** 'linux-x64 (glibc)', 'linux-arm (ARMv7, glibc)': what the prebuilt binaries are matched against. */
function platformLabel(): string {
  const extra: string[] = [];
  if (process.arch === 'arm') {
    const v = armVersion();
    if (v !== undefined) extra.push(`ARMv${v}`);
  }
  if (process.platform === 'linux') {
    const libc = runningLibc();
    if (libc) extra.push(libc);
  }
  return `${process.platform}-${process.arch}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

function candidates(root: string): Candidate[] {
  const list: Candidate[] = [];
  if (process.env.MMAPKIT_BINDING) list.push({ file: path.resolve(process.env.MMAPKIT_BINDING) });
  list.push({ file: path.join(root, 'build', 'Release', 'mmapkit.node') });
  list.push({ file: path.join(root, 'build', 'Debug', 'mmapkit.node') });
  const pre = path.join(root, 'prebuilds', platformName());
  if (fs.existsSync(pre)) {
    const files = fs
      .readdirSync(pre)
      .filter((f) => f.endsWith('.node'))
      .sort();
    // The ones whose tags fit come first, the others are listed with the reason.
    const tagged = files.map((f) => ({ file: path.join(pre, f), skip: tagMismatch(f) }));
    list.push(...tagged.filter((c) => !c.skip), ...tagged.filter((c) => c.skip));
  } else {
    list.push({ file: path.join(pre, 'mmapkit.node') });
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
    Object.defineProperty(fast, key, { value: b[key as keyof Binding], enumerable: true, writable: false, configurable: false });
  }
  return fast;
}

/** This module's folder (dist/ or lib/): frames below it, outside cli/ and bench/, are the library's. */
const LIB_DIR = __dirname + path.sep;
const NOT_LIB = [path.join(__dirname, 'cli') + path.sep, path.join(__dirname, 'bench') + path.sep];

/**
 * The name of the mmapkit function or method the user called that led here ('mapFile',
 * 'SharedMemory.open', 'Mapping.read' …): the outermost of the consecutive library frames on the
 * stack. Undefined when the stack does not say (a bundled copy, an engine without V8's call sites).
 */
function publicCaller(): string | undefined {
  const savedLimit = Error.stackTraceLimit;
  const savedPrepare = Error.prepareStackTrace;
  let sites: unknown;
  try {
    Error.stackTraceLimit = 64;
    Error.prepareStackTrace = (_err, s) => s;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, publicCaller);
    sites = holder.stack;
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = savedLimit;
    Error.prepareStackTrace = savedPrepare;
  }
  if (!Array.isArray(sites)) return undefined;
  let name: string | undefined;
  for (const site of sites as NodeJS.CallSite[]) {
    const file = typeof site?.getFileName === 'function' ? site.getFileName() : undefined;
    // Built-in frames (Array.prototype.map, node: internals) between library frames are skipped.
    if (typeof file !== 'string' || file.startsWith('node:')) continue;
    const local = file.startsWith('file://') ? file.slice(7) : file;
    if (!local.startsWith(LIB_DIR) || NOT_LIB.some((d) => local.startsWith(d))) break;
    if (local === __filename) continue;
    const text = String(site)
      .replace(/ \(.*$/s, '')
      .replace(/ \[as [^\]]*\]/, '')
      .replace(/^async /, '');
    if (/<anonymous>|^$/.test(text)) continue;
    name = text
      .replace(/^(Object|Module|Function)\./, '')
      .replace(/^get /, '')
      .replace(/^new (.*)$/, 'new $1()');
  }
  return name;
}

/**
 * Why the addon is unavailable, when it is missing (as opposed to present but broken): no binary
 * for this platform at all, or MMAPKIT_NO_ADDON set. Undefined when there is a file to try.
 */
function missingReason(root: string): string | undefined {
  if (addonDisabled()) return `MMAPKIT_NO_ADDON=${process.env.MMAPKIT_NO_ADDON} is set`;
  if (process.env.MMAPKIT_BINDING) return undefined;
  return candidates(root).some((c) => !c.skip && fs.existsSync(c.file)) ? undefined : 'no prebuilt binary and the source build failed or was skipped';
}

function unsupported(reason: string, who = publicCaller()): Error {
  const fix =
    process.platform === 'linux'
      ? "To build it: 'npm rebuild mmapkit' (needs python3, make and a C++17 compiler: 'apt-get install python3 make g++')."
      : 'The addon is built for Linux only (it maps memory with Linux system calls).';
  return codedError(
    'ERR_MMAPKIT_UNSUPPORTED',
    `mmapkit's native addon is not available on ${platformName()} (${reason}): ${who ?? 'this call'} needs it; ` +
      `the simulator and the JS CSV methods work without it.\n${addonDisabled() ? 'Unset MMAPKIT_NO_ADDON to use the addon.' : fix}`,
  );
}

/**
 * The loaded addon (loaded once, on first use). Throws ERR_MMAPKIT_UNSUPPORTED when this platform
 * has none, ERR_MMAPKIT_BINDING when one is there but does not load.
 */
export function binding(): Binding {
  if (cached) return cached;
  const root = packageRoot();
  const missing = missingReason(root);
  if (missing !== undefined) throw unsupported(missing);
  const failures: string[] = [];
  for (const { file, skip } of candidates(root)) {
    if (!fs.existsSync(file)) {
      failures.push(`  ${file}: not found`);
      continue;
    }
    if (skip) {
      failures.push(`  ${file}: not tried: ${skip}`);
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
  throw codedError(
    'ERR_MMAPKIT_BINDING',
    `mmapkit could not load its native addon for ${platformLabel()}, Node ${process.version} ` +
      `(Node-API ${process.versions.napi}). Tried:\n${failures.join('\n')}\n` +
      'To fix it: mmapkit needs Linux and Node-API 8 (Node 18.20 or later). Build from source with ' +
      "'npm rebuild mmapkit' (needs python3, make and a C++17 compiler: 'apt-get install python3 make g++'), " +
      "or reinstall without '--ignore-scripts' so the install step can build it.",
  );
}

/**
 * {@link binding} for a caller that names itself in the ERR_MMAPKIT_UNSUPPORTED message: after an
 * await, the stack no longer shows the function the user called.
 * @internal
 */
export function bindingFor(who: string): Binding {
  if (cached) return cached;
  const missing = missingReason(packageRoot());
  if (missing !== undefined) throw unsupported(missing, who);
  return binding();
}

/**
 * Whether the native addon loads here. False on platforms without it (macOS, Windows, a Linux where
 * it could not be built), with MMAPKIT_NO_ADDON set, or when its binary does not load; the native
 * calls then throw ERR_MMAPKIT_UNSUPPORTED (or ERR_MMAPKIT_BINDING, which says what failed). The
 * simulator and the JavaScript CSV methods work either way.
 */
export function addonAvailable(): boolean {
  if (cached) return true;
  try {
    binding();
    return true;
  } catch {
    return false;
  }
}
