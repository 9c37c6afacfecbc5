/**
 * `mmapkit devmem ADDRESS [WIDTH [VALUE]]`: busybox devmem, on mmapkit's register windows. Reads
 * print 0x-prefixed upper-case hex with the width's digits; writes print nothing. `--device FILE`
 * maps FILE instead of /dev/mem (ADDRESS is then the offset in it: /dev/gpiomem, a PCI resource
 * file, /dev/uioN); `--port` reads or writes an I/O port instead (/dev/port, or `--method ioperm`).
 */
import { parseArgs } from 'node:util';
import type { AccessWidth } from '../interfaces';
import { rangeError, usageError } from '../errors';
import { openPorts, openRegisterWindow, readRegister, writeRegister } from '../regs';

export const summary = 'read or write one device register or I/O port (busybox devmem compatible)';

const HELP = `usage: mmapkit devmem [options] ADDRESS [WIDTH [VALUE]]

Reads (or, given VALUE, writes) the register at physical ADDRESS through /dev/mem, like busybox
devmem. WIDTH is 8, 16, 32 (default) or 64, or b/h/w/l; numbers may be decimal, 0x-hex or 0-octal.
A read prints the value as 0x-prefixed upper-case hex with WIDTH/4 digits; a write prints nothing.

options:
  --device FILE     map FILE instead of /dev/mem; ADDRESS is the offset in FILE
                    (/dev/gpiomem, /sys/bus/pci/devices/<bdf>/resourceN, /dev/uioN, any file)
  --port            ADDRESS is an x86 I/O port (widths 8, 16, 32)
  --method M        port access method: devport (/dev/port, default) or ioperm (in/out instructions)
  -h, --help        show this help
`;

/** Parses a number the way busybox does (strtoull base 0): 0x hex, leading 0 octal, else decimal. */
export function parseBusyboxNumber(text: string, what: string): bigint {
  const t = text.trim();
  let v: bigint | undefined;
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = BigInt(t);
    else if (/^0[0-7]+$/.test(t)) v = BigInt('0o' + t.slice(1));
    else if (/^[0-9]+$/.test(t)) v = BigInt(t);
  } catch {
    v = undefined;
  }
  if (v === undefined) throw usageError('ERR_INVALID_ARG_VALUE', `invalid ${what} '${text}': expected a decimal, 0x-hex or 0-octal number`);
  return v;
}

/** WIDTH as busybox takes it: 8/16/32/64 or the letters b/h/w/l. */
export function parseWidth(text: string): AccessWidth {
  const letters: Record<string, AccessWidth> = { b: 8, h: 16, w: 32, l: 64 };
  const w = letters[text.toLowerCase()] ?? Number(text);
  if (w !== 8 && w !== 16 && w !== 32 && w !== 64) {
    throw rangeError('ERR_OUT_OF_RANGE', `invalid width '${text}': expected 8, 16, 32 or 64 (or b, h, w, l)`);
  }
  return w;
}

/** The busybox output format: 0x + upper-case hex, width/4 digits. */
export function formatValue(value: number | bigint, width: AccessWidth): string {
  return '0x' + BigInt(value).toString(16).toUpperCase().padStart(width / 4, '0');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      device: { type: 'string' },
      port: { type: 'boolean', default: false },
      method: { type: 'string', default: 'devport' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 3) {
    process.stderr.write(HELP);
    return 2;
  }
  const address = parseBusyboxNumber(positionals[0], 'address');
  const width = positionals[1] !== undefined ? parseWidth(positionals[1]) : 32;
  const value = positionals[2] !== undefined ? parseBusyboxNumber(positionals[2], 'value') : undefined;
  if (value !== undefined && value >= 1n << BigInt(width)) {
    throw rangeError('ERR_OUT_OF_RANGE', `value ${formatValue(value, 64).replace(/^0x0+(?=.)/, '0x')} does not fit in ${width} bits`);
  }

  if (values.port) {
    if (values.device !== undefined) throw usageError('ERR_INVALID_ARG_VALUE', '--port and --device cannot be combined');
    if (width === 64) throw rangeError('ERR_MMAPKIT_WIDTH', 'I/O ports take 8-, 16- or 32-bit accesses, not 64-bit');
    if (address > 0xffffn) throw rangeError('ERR_OUT_OF_RANGE', `port 0x${address.toString(16)} is outside the I/O port space (0 to 0xFFFF)`);
    const method = values.method;
    if (method !== 'devport' && method !== 'ioperm') throw usageError('ERR_INVALID_ARG_VALUE', `--method must be devport or ioperm, not '${method}'`);
    const ports = openPorts({ method, writable: value !== undefined });
    try {
      const port = Number(address);
      if (value === undefined) {
        const v = width === 8 ? ports.inb(port) : width === 16 ? ports.inw(port) : ports.inl(port);
        process.stdout.write(formatValue(v, width) + '\n');
      } else {
        const v = Number(value);
        if (width === 8) ports.outb(port, v);
        else if (width === 16) ports.outw(port, v);
        else ports.outl(port, v);
      }
    } finally {
      ports.close();
    }
    return 0;
  }

  const window = openRegisterWindow({
    path: values.device ?? '/dev/mem',
    offset: address,
    length: width / 8,
    writable: value !== undefined,
  });
  try {
    if (value === undefined) {
      process.stdout.write(formatValue(readRegister(window, 0, width), width) + '\n');
    } else {
      writeRegister(window, 0, width === 64 ? value : Number(value), width);
    }
  } finally {
    window.close();
  }
  return 0;
}
