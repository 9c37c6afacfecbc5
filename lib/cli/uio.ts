/**
 * `mmapkit uio`: Linux UIO devices. `list` shows them (name, version, interrupt count, maps, PCI
 * function); `wait DEVICE` waits for interrupts and prints each count; `edu` drives QEMU's edu
 * device by interrupt (a factorial, then interrupts raised through IRQ_RAISE and counted) through
 * /dev/uioN, or with --sim through the simulated edu — the same driver code on both.
 */
import * as fs from 'node:fs';
import type { InterruptSource, RegisterIO } from '../interfaces';
import { EduDriver, EDU_DEVICE_ID, EDU_VENDOR_ID, expectedEduFactorial } from '../drivers/edu';
import { codedError } from '../errors';
import { SimBus } from '../sim/bus';
import { SimEdu, SIM_EDU_BAR_SIZE } from '../sim/devices/edu';
import { SIM_EDU_BASE } from '../sim/machine';
import { simWindow } from '../sim/window';
import { listUioDevices, openUioDevice, type UioDevice } from '../uio';
import { cliUsageError, defineCommand } from './command';

/** What {@link runEduInterrupts} measured. */
export interface EduInterruptRun {
  backend: string;
  n: number;
  factorial: number;
  expected: number;
  factorialMs: number;
  raised: number;
  counted: number;
  /** Steps between successive counts other than 1 (interrupts that were not seen one by one). */
  gaps: number;
  latencyUs: { min: number; median: number; max: number } | null;
  perSecond: number | null;
  ok: boolean;
}

/**
 * The edu interrupt run shared by `mmapkit uio edu` and `mmapkit sim edu --irq`: n! by interrupt,
 * then `raise` interrupts one at a time (unmask, start waiting, write IRQ_RAISE, await, acknowledge).
 */
export async function runEduInterrupts(
  io: RegisterIO,
  irq: InterruptSource,
  backend: string,
  options: { n: number; raise: number; timeout: number },
): Promise<EduInterruptRun> {
  const driver = new EduDriver(io, { timeoutMs: options.timeout });
  driver.identify();
  const f = await driver.factorialByInterrupt(options.n, irq, { timeout: options.timeout });
  const counts: number[] = [];
  const lat: number[] = [];
  const start = performance.now();
  for (let i = 0; i < options.raise; i++) {
    const t0 = performance.now();
    irq.enableInterrupt();
    const wait = irq.waitInterrupt({ timeout: options.timeout });
    driver.raiseInterrupt(1);
    counts.push(await wait);
    lat.push((performance.now() - t0) * 1000);
    driver.acknowledgeInterrupt();
  }
  const totalMs = performance.now() - start;
  const sorted = [...lat].sort((a, b) => a - b);
  const gaps = counts.slice(1).filter((c, i) => c - counts[i] !== 1).length;
  const counted = counts.length === 0 ? 0 : counts[counts.length - 1] - counts[0] + 1;
  const expected = expectedEduFactorial(options.n);
  return {
    backend,
    n: options.n,
    factorial: f.value,
    expected,
    factorialMs: f.elapsedMs,
    raised: options.raise,
    counted,
    gaps,
    latencyUs: sorted.length ? { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] } : null,
    perSecond: sorted.length ? (options.raise / totalMs) * 1000 : null,
    ok: f.value === expected && counted === options.raise && gaps === 0,
  };
}

/** The simulated edu on a bus, with its simulated UIO interrupt. */
export function simEduRig(): { io: RegisterIO; irq: InterruptSource & Disposable } {
  const bus = new SimBus();
  const edu = new SimEdu(bus.scheduler, { dma: bus.master('edu') });
  bus.map(SIM_EDU_BASE, edu);
  return { io: simWindow(bus, SIM_EDU_BASE, SIM_EDU_BAR_SIZE), irq: edu.uioInterrupt() };
}

export function formatEduRun(r: EduInterruptRun): string {
  const lines = [`${r.backend}: ${r.n}! = ${r.factorial} by interrupt in ${r.factorialMs.toFixed(3)} ms (expected ${r.expected})`];
  if (r.raised > 0) {
    const l = r.latencyUs!;
    lines.push(
      `${r.raised} interrupts raised through IRQ_RAISE, ${r.counted} counted, ${r.gaps} gaps; ` +
        `raise-to-wake latency min ${l.min.toFixed(0)} µs, median ${l.median.toFixed(0)} µs, max ${l.max.toFixed(0)} µs (${r.perSecond!.toFixed(0)}/s)`,
    );
  }
  return lines.join('\n') + '\n';
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

export const command = defineCommand({
  name: 'uio',
  summary: 'Linux UIO devices: list them, wait for interrupts, drive the edu device by interrupt (real or --sim)',
  usage: [
    'mmapkit uio list [--json]',
    'mmapkit uio wait DEVICE [--count K] [--timeout MS] [--reenable] [--json]',
    'mmapkit uio edu [--device DEVICE | --sim] [--n N] [--raise K] [--timeout MS] [--json]',
  ],
  description: `list   the UIO devices in /sys/class/uio: name, version, interrupts so far, maps, PCI function
wait   waits for K interrupts (default 1) on DEVICE (N, uioN or /dev/uioN) and prints each count;
       a jump of more than one is interrupts that arrived between two waits
edu    QEMU's edu device bound to uio_pci_generic (found by its PCI ID, or --device): N! by
       interrupt (default 10), then K interrupts raised through IRQ_RAISE and counted
       (default 100); --sim runs the same driver code on the simulated edu`,
  options: {
    json: { type: 'boolean', help: 'print JSON' },
    count: { type: 'integer', min: 1, max: 1_000_000, help: 'wait: how many interrupts (default 1)' },
    timeout: { type: 'integer', min: 1, max: 3_600_000, arg: 'MS', help: 'give up waiting after MS milliseconds (wait: no limit by default; edu: 5000)' },
    reenable: { type: 'boolean', help: 'wait: unmask the interrupt before each wait (uio_pci_generic masks it after each one)' },
    device: { type: 'string', arg: 'DEVICE', help: 'edu: the UIO device (default: the one bound to PCI 1234:11e8)' },
    sim: { type: 'boolean', help: 'edu: use the simulated edu device and its simulated UIO interrupt' },
    n: { type: 'integer', min: 0, max: 0xffffffff, help: 'edu: the factorial to compute by interrupt (default 10)' },
    raise: { type: 'integer', min: 0, max: 100_000, arg: 'K', help: 'edu: interrupts to raise and count (default 100)' },
  },
  positionals: { min: 1, max: 2 },
  footer: 'Exit status 1 when an answer is wrong (a factorial that is not n! mod 2^32, an interrupt not counted).',
  async run({ values, positionals }) {
    const verb = positionals[0];
    const out = (s: string) => process.stdout.write(s);
    if (verb === 'list') {
      if (positionals.length > 1) throw cliUsageError(`'uio list' takes no argument. Received '${positionals[1]}'`);
      const list = listUioDevices();
      if (values.json) out(JSON.stringify(list, (_k, v) => (typeof v === 'bigint' ? hex(v) : v), 2) + '\n');
      else if (list.length === 0) out('no UIO devices (load a UIO driver such as uio_pci_generic and bind a device to it)\n');
      else
        for (const d of list) {
          out(`${d.id}  ${d.name} ${d.version}  ${d.event} interrupts${d.pci ? `  pci ${d.pci}` : ''}  ${d.path}\n`);
          for (const m of d.maps)
            out(`  map${m.index}  ${hex(m.addr)}  ${hex(m.size)} bytes${m.offset ? ` (registers at +${hex(m.offset)})` : ''}${m.name ? `  ${m.name}` : ''}\n`);
        }
      return 0;
    }
    if (verb === 'wait') {
      if (positionals.length < 2) throw cliUsageError("'uio wait' needs a DEVICE (N, uioN or /dev/uioN)");
      const dev = /^\d+$/.test(positionals[1]) ? Number(positionals[1]) : positionals[1];
      using u = openUioDevice(dev);
      const counts: number[] = [];
      for (let i = 0; i < (values.count ?? 1); i++) {
        const c = await u.waitInterrupt({ timeout: values.timeout, reenable: values.reenable });
        counts.push(c);
        if (!values.json) out(`${c}\n`);
      }
      if (values.json) out(JSON.stringify({ device: u.info.id, counts }) + '\n');
      return 0;
    }
    if (verb === 'edu') {
      if (positionals.length > 1) throw cliUsageError(`'uio edu' takes no argument. Received '${positionals[1]}'`);
      if (values.sim && values.device !== undefined) throw cliUsageError('--sim and --device contradict each other');
      const opts = { n: values.n ?? 10, raise: values.raise ?? 100, timeout: values.timeout ?? 5000 };
      let r: EduInterruptRun;
      if (values.sim) {
        const { io, irq } = simEduRig();
        using _irq = irq;
        r = await runEduInterrupts(io, irq, 'simulated edu (simulated UIO)', opts);
      } else {
        let u: UioDevice;
        if (values.device !== undefined) {
          u = openUioDevice(/^\d+$/.test(values.device) ? Number(values.device) : values.device);
        } else {
          const found = listUioDevices().find((d) => d.pci && isEdu(d.pci));
          if (!found) {
            throw codedError(
              'ERR_MMAPKIT_DEVICE',
              `No UIO device is bound to an edu device (PCI ${hex(EDU_VENDOR_ID)}:${hex(EDU_DEVICE_ID)}). ` +
                'Bind it: \'modprobe uio_pci_generic; echo "1234 11e8" > /sys/bus/pci/drivers/uio_pci_generic/new_id\', or use --sim',
            );
          }
          u = openUioDevice(found.id);
        }
        using dev = u;
        using bar = dev.openPciBar(0, { writable: true, length: 0x1000 });
        r = await runEduInterrupts(bar, dev, `${dev.info.id} (${dev.info.name}${dev.info.pci ? ` ${dev.info.pci}` : ''})`, opts);
      }
      out(values.json ? JSON.stringify(r, null, 2) + '\n' : formatEduRun(r));
      return r.ok ? 0 : 1;
    }
    throw cliUsageError(`Unknown uio command '${verb}'. Commands: list, wait, edu`);
  },
});

function isEdu(bdf: string): boolean {
  try {
    const read = (f: string) => Number.parseInt(fs.readFileSync(`/sys/bus/pci/devices/${bdf}/${f}`, 'utf8'), 16);
    return read('vendor') === EDU_VENDOR_ID && read('device') === EDU_DEVICE_ID;
  } catch {
    return false;
  }
}

export const summary = command.summary;
export const run = command.run;
