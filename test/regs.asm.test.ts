import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// Disassembles the built addon and checks that each register accessor is exactly one load or store
// of its width (nothing the compiler could split or merge) and that each barrier is the expected
// fence instruction.
const ADDON = path.resolve(__dirname, '..', 'build', 'Release', 'mmapkit.node');
const objdump = spawnSync('objdump', ['--version'], { encoding: 'utf8' });
const arch = process.arch;
const skip =
  objdump.status !== 0
    ? 'objdump is not installed (apt-get install binutils)'
    : !fs.existsSync(ADDON)
      ? `no ${ADDON} (build the addon first)`
      : arch !== 'x64' && arch !== 'arm64'
        ? `no expected instructions for ${arch}`
        : undefined;

/** The instructions of one function, without padding and the return. */
function body(symbol: string): string[] {
  const out = spawnSync('objdump', ['-d', '--no-show-raw-insn', `--disassemble=${symbol}`, ADDON], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = out.stdout.split('\n');
  const start = lines.findIndex((l) => l.includes(`<${symbol}>:`));
  expect(start, `${symbol} not found in ${ADDON}`).toBeGreaterThanOrEqual(0);
  const insns: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    const insn = l.split('\t').slice(1).join(' ').replace(/\s+/g, ' ').trim();
    if (/^(ret|endbr64|nop|xchg %ax,%ax|cs nopw|data16|paciasp|autiasp|bti)/.test(insn) || insn === '') continue;
    insns.push(insn);
  }
  return insns;
}

const X64: Record<string, RegExp> = {
  mmapkit_mmio_read8: /^movzbl \(%rdi\),%eax$/,
  mmapkit_mmio_read16: /^movzwl \(%rdi\),%eax$/,
  mmapkit_mmio_read32: /^mov \(%rdi\),%eax$/,
  mmapkit_mmio_read64: /^mov \(%rdi\),%rax$/,
  mmapkit_mmio_write8: /^mov %sil,\(%rdi\)$/,
  mmapkit_mmio_write16: /^mov %si,\(%rdi\)$/,
  mmapkit_mmio_write32: /^mov %esi,\(%rdi\)$/,
  mmapkit_mmio_write64: /^mov %rsi,\(%rdi\)$/,
  mmapkit_barrier_full: /^mfence$/,
  mmapkit_barrier_store: /^sfence$/,
  mmapkit_barrier_load: /^lfence$/,
  mmapkit_barrier_dsb_sy: /^mfence$/,
  mmapkit_barrier_dsb_st: /^sfence$/,
};
const ARM64: Record<string, RegExp> = {
  mmapkit_mmio_read8: /^ldrb w0, \[x0\]$/,
  mmapkit_mmio_read16: /^ldrh w0, \[x0\]$/,
  mmapkit_mmio_read32: /^ldr w0, \[x0\]$/,
  mmapkit_mmio_read64: /^ldr x0, \[x0\]$/,
  mmapkit_mmio_write8: /^strb w1, \[x0\]$/,
  mmapkit_mmio_write16: /^strh w1, \[x0\]$/,
  mmapkit_mmio_write32: /^str w1, \[x0\]$/,
  mmapkit_mmio_write64: /^str x1, \[x0\]$/,
  mmapkit_barrier_full: /^dmb ish$/,
  mmapkit_barrier_store: /^dmb ishst$/,
  mmapkit_barrier_load: /^dmb ishld$/,
  mmapkit_barrier_dsb_sy: /^dsb sy$/,
  mmapkit_barrier_dsb_st: /^dsb st$/,
};

describe.skipIf(skip !== undefined)(`accessor and barrier instructions (${skip ?? arch})`, () => {
  const expected = arch === 'arm64' ? ARM64 : X64;
  for (const [symbol, re] of Object.entries(expected)) {
    it(`${symbol} is exactly one ${re.source.replace(/[\^$\\]/g, '')}`, () => {
      const insns = body(symbol);
      expect(insns).toHaveLength(1);
      expect(insns[0]).toMatch(re);
    });
  }
  it('the compiler barrier emits no instruction', () => {
    expect(body('mmapkit_barrier_compiler')).toEqual([]);
  });
});
