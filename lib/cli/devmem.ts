/**
 * `mmapkit devmem ADDRESS [WIDTH [VALUE]]`: busybox devmem, on mmapkit's register windows. Reads
 * print 0x-prefixed upper-case hex with the width's digits; writes print nothing. `--device FILE`
 * maps FILE instead of /dev/mem (ADDRESS is then the offset in it: /dev/gpiomem, a PCI resource
 * file, /dev/uioN); `--port` reads or writes an I/O port instead (/dev/port, or `--method ioperm`).
 */
import type { AccessWidth } from '../interfaces';
import { openPorts, openRegisterWindow, readRegister, writeRegister } from '../regs';
import { cliUsageError, defineCommand } from './command';

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
  if (v === undefined) throw cliUsageError(`invalid ${what} '${text}': expected a decimal, 0x-hex or 0-octal number`);
  return v;
}

/** WIDTH as busybox takes it: 8/16/32/64 or the letters b/h/w/l. */
export function parseWidth(text: string): AccessWidth {
  const letters: Record<string, AccessWidth> = { b: 8, h: 16, w: 32, l: 64 };
  const w = letters[text.toLowerCase()] ?? Number(text);
  if (w !== 8 && w !== 16 && w !== 32 && w !== 64) {
    throw cliUsageError(`invalid WIDTH '${text}': expected 8, 16, 32 or 64 (or b, h, w, l)`, 'ERR_OUT_OF_RANGE');
  }
  return w;
}

/** The busybox output format: 0x + upper-case hex, width/4 digits. */
export function formatValue(value: number | bigint, width: AccessWidth): string {
  return (
    '0x' +
    BigInt(value)
      .toString(16)
      .toUpperCase()
      .padStart(width / 4, '0')
  );
}

/** The address as the user wrote it, with its value in hex when it was not written in hex. */
function named(text: string, value: bigint): string {
  return /^0[xX]/.test(text.trim()) ? text.trim() : `${text.trim()} (0x${value.toString(16)})`;
}

export const command = defineCommand({
  name: 'devmem',
  summary: 'read or write one device register or I/O port (busybox devmem compatible)',
  usage: 'mmapkit devmem [options] ADDRESS [WIDTH [VALUE]]',
  description: `Reads (or, given VALUE, writes) the register at physical ADDRESS through /dev/mem, like busybox
devmem. WIDTH is 8, 16, 32 (default) or 64, or b/h/w/l; numbers may be decimal, 0x-hex or 0-octal.
ADDRESS must be a multiple of WIDTH/8. A read prints the value as 0x-prefixed upper-case hex with
WIDTH/4 digits; a write prints nothing (with --json, both print one JSON object).`,
  options: {
    device: {
      type: 'string',
      arg: 'FILE',
      help: 'map FILE instead of /dev/mem; ADDRESS is the offset in FILE\n(/dev/gpiomem, /sys/bus/pci/devices/<bdf>/resourceN, /dev/uioN, any file)',
    },
    port: { type: 'boolean', help: 'ADDRESS is an x86 I/O port (widths 8, 16, 32)' },
    method: {
      type: 'string',
      arg: 'M',
      choices: ['devport', 'ioperm'],
      default: 'devport',
      help: 'port access method: devport (/dev/port, default) or ioperm (in/out instructions)',
    },
    json: { type: 'boolean', help: 'print JSON: {"address","width","value"} for a read, {"address","width","written"} for a write' },
  },
  positionals: { min: 1, max: 3 },
  async run({ values, positionals }) {
    const [addressText, widthText, valueText] = positionals;
    const address = parseBusyboxNumber(addressText, 'ADDRESS');
    const width = widthText !== undefined ? parseWidth(widthText) : 32;
    const value = valueText !== undefined ? parseBusyboxNumber(valueText, 'VALUE') : undefined;
    if (value !== undefined && value >= 1n << BigInt(width)) {
      throw cliUsageError(`value ${formatValue(value, 64).replace(/^0x0+(?=.)/, '0x')} does not fit in ${width} bits`, 'ERR_OUT_OF_RANGE');
    }
    const json = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
    const addrHex = '0x' + address.toString(16).toUpperCase();

    if (values.port) {
      if (values.device !== undefined) throw cliUsageError('--port and --device cannot be combined');
      if (width === 64) throw cliUsageError('I/O ports take 8-, 16- or 32-bit accesses, not 64-bit', 'ERR_MMAPKIT_WIDTH');
      if (address > 0xffffn) throw cliUsageError(`port ${named(addressText, address)} is outside the I/O port space (0 to 0xFFFF)`, 'ERR_OUT_OF_RANGE');
      const method = values.method as 'devport' | 'ioperm';
      const ports = openPorts({ method, writable: value !== undefined });
      try {
        const port = Number(address);
        if (value === undefined) {
          const v = width === 8 ? ports.inb(port) : width === 16 ? ports.inw(port) : ports.inl(port);
          if (values.json) json({ port: addrHex, width, value: formatValue(v, width) });
          else process.stdout.write(formatValue(v, width) + '\n');
        } else {
          const v = Number(value);
          if (width === 8) ports.outb(port, v);
          else if (width === 16) ports.outw(port, v);
          else ports.outl(port, v);
          if (values.json) json({ port: addrHex, width, written: formatValue(value, width) });
        }
      } finally {
        ports.close();
      }
      return 0;
    }

    if (address % BigInt(width / 8) !== 0n) {
      throw cliUsageError(
        `ADDRESS ${named(addressText, address)} is not aligned for a ${width}-bit access: it must be a multiple of ${width / 8}`,
        'ERR_MMAPKIT_UNALIGNED',
      );
    }
    const device = values.device ?? '/dev/mem';
    const window = openRegisterWindow({ path: device, offset: address, length: width / 8, writable: value !== undefined });
    try {
      if (value === undefined) {
        const v = formatValue(readRegister(window, 0, width), width);
        if (values.json) json({ device, address: addrHex, width, value: v });
        else process.stdout.write(v + '\n');
      } else {
        writeRegister(window, 0, width === 64 ? value : Number(value), width);
        if (values.json) json({ device, address: addrHex, width, written: formatValue(value, width) });
      }
    } finally {
      window.close();
    }
    return 0;
  },
});

export const summary = command.summary;
export const run = command.run;
