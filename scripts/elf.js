// Reads what a shared library asks of the system that loads it, straight from its ELF headers
// (no binutils needed): the machine, the ARM float ABI, the libraries it needs (DT_NEEDED), its
// symbol-version needs (.gnu.version_r: GLIBC_2.17, GLIBCXX_3.4.29, ...) and its exported
// functions. Used by scripts/prebuild.js after each build and by test/core.prebuilt.test.ts.
'use strict';
const fs = require('fs');

const MACHINES = { 3: 'x86', 40: 'arm', 62: 'x86-64', 183: 'aarch64' };
const SHT_DYNSYM = 11;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;
const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_ARM_ABI_FLOAT_SOFT = 0x200;

/**
 * @param {string} file
 * @returns {{ bits: 32|64, machine: string, floatAbi: 'hard'|'soft'|null, needed: string[],
 *   versions: { file: string, name: string }[], exported: string[], undefinedSymbols: string[] }}
 */
function readElf(file) {
  const b = fs.readFileSync(file);
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  const bits = b[4] === 2 ? 64 : b[4] === 1 ? 32 : 0;
  if (!bits) throw new Error(`${file}: unknown ELF class ${b[4]}`);
  if (b[5] !== 1) throw new Error(`${file}: big-endian ELF is not supported here`);
  const is64 = bits === 64;
  const word = (o) => b.readUInt32LE(o);
  const addr = (o) => (is64 ? Number(b.readBigUInt64LE(o)) : b.readUInt32LE(o));
  const eMachine = b.readUInt16LE(18);
  const eFlags = word(is64 ? 48 : 36);
  const shoff = addr(is64 ? 40 : 32);
  const shentsize = b.readUInt16LE(is64 ? 58 : 46);
  const shnum = b.readUInt16LE(is64 ? 60 : 48);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: word(o + 4),
      offset: addr(is64 ? o + 24 : o + 16),
      size: addr(is64 ? o + 32 : o + 20),
      link: word(is64 ? o + 40 : o + 24),
      entsize: addr(is64 ? o + 56 : o + 36),
    });
  }
  const str = (sec, off) => {
    const start = sec.offset + off;
    const end = b.indexOf(0, start);
    return b.toString('latin1', start, end);
  };

  const needed = [];
  const versions = [];
  const exported = [];
  const undefinedSymbols = [];
  for (const s of sections) {
    if (s.type === SHT_DYNAMIC) {
      const strtab = sections[s.link];
      const step = is64 ? 16 : 8;
      for (let o = s.offset; o + step <= s.offset + s.size; o += step) {
        const tag = addr(o);
        if (tag === 0) break;
        if (tag === DT_NEEDED) needed.push(str(strtab, addr(o + step / 2)));
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      const strtab = sections[s.link];
      let o = s.offset;
      for (;;) {
        const cnt = b.readUInt16LE(o + 2);
        const libFile = str(strtab, word(o + 4));
        let a = o + word(o + 8);
        for (let k = 0; k < cnt; k++) {
          versions.push({ file: libFile, name: str(strtab, word(a + 8)) });
          const next = word(a + 12);
          if (!next) break;
          a += next;
        }
        const next = word(o + 12);
        if (!next) break;
        o += next;
      }
    } else if (s.type === SHT_DYNSYM) {
      const strtab = sections[s.link];
      const step = s.entsize || (is64 ? 24 : 16);
      for (let o = s.offset + step; o + step <= s.offset + s.size; o += step) {
        const name = str(strtab, word(o));
        const info = is64 ? b[o + 4] : b[o + 12];
        const shndx = is64 ? b.readUInt16LE(o + 6) : b.readUInt16LE(o + 14);
        const bind = info >> 4;
        if (!name) continue;
        if (shndx === 0) undefinedSymbols.push(name);
        else if (bind === 1 || bind === 2) exported.push(name); // GLOBAL or WEAK
      }
    }
  }
  let floatAbi = null;
  if (eMachine === 40) floatAbi = eFlags & EF_ARM_ABI_FLOAT_HARD ? 'hard' : eFlags & EF_ARM_ABI_FLOAT_SOFT ? 'soft' : null;
  return { bits, machine: MACHINES[eMachine] || `e_machine ${eMachine}`, floatAbi, needed, versions, exported, undefinedSymbols };
}

/** Compares dotted versions: '2.28' < '2.34'. */
function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d) return d;
  }
  return 0;
}

/**
 * What keeps the library from loading on a glibc `maxGlibc` system: every GLIBC_ version need
 * above it, and every need of the GNU C++ runtime (GLIBCXX_, CXXABI_) or of libstdc++ itself.
 * An empty list means it loads there.
 */
function glibcProblems(info, maxGlibc) {
  const out = [];
  for (const v of info.versions) {
    const m = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(v.name);
    if (m && compareVersions(m[1], maxGlibc) > 0) out.push(`${v.name} (${v.file})`);
    if (/^(GLIBCXX|CXXABI)_/.test(v.name)) out.push(`${v.name} (${v.file})`);
  }
  for (const lib of info.needed) if (/^libstdc\+\+|^libc\+\+/.test(lib)) out.push(`needs ${lib}`);
  return out;
}

module.exports = { readElf, glibcProblems, compareVersions };

if (require.main === module) {
  for (const f of process.argv.slice(2)) console.log(f, JSON.stringify({ ...readElf(f), exported: undefined, undefinedSymbols: undefined }));
}
