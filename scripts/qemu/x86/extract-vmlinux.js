// Extracts the ELF vmlinux from an x86 bzImage: the setup header (boot protocol 2.08+) gives the
// offset and length of the compressed payload; the payload is decompressed with xz, gzip or zstd.
// Booting the ELF directly skips the firmware and the in-guest decompression.
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: extract-vmlinux.js BZIMAGE OUTPUT');
  process.exit(2);
}
const img = fs.readFileSync(input);
if (img.readUInt32LE(0x202) !== 0x53726448) throw new Error(`${input}: not a bzImage (no HdrS signature)`);
const setupSects = img[0x1f1] || 4;
const payloadOffset = img.readUInt32LE(0x248);
const payloadLength = img.readUInt32LE(0x24c);
const start = (setupSects + 1) * 512 + payloadOffset;
const payload = img.subarray(start, start + payloadLength);
let cmd;
if (payload[0] === 0xfd && payload.subarray(1, 6).toString('latin1') === '7zXZ\0') cmd = ['xz', ['-dc', '--single-stream']];
else if (payload[0] === 0x1f && payload[1] === 0x8b) cmd = ['gzip', ['-dc']];
else if (payload.readUInt32LE(0) === 0xfd2fb528) cmd = ['zstd', ['-dcq']];
else throw new Error(`${input}: unknown payload compression (magic ${payload.subarray(0, 6).toString('hex')})`);
let elf;
try {
  elf = execFileSync(cmd[0], cmd[1], { input: payload, maxBuffer: 1 << 30 });
} catch (err) {
  // gzip and xz complain about the 4-byte size the kernel build appends; the output is complete.
  elf = err.stdout;
}
if (!elf || elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${input}: decompressed payload is not an ELF file`);
fs.writeFileSync(output, elf);
console.error(`extract-vmlinux: ${elf.length} bytes`);
