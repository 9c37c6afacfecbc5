// What must work, and what must refuse cleanly, where mmapkit has no native addon. The probe is a
// CommonJS script body run in a child Node process with `mk` bound to the package under test (the
// repository's dist/ with MMAPKIT_NO_ADDON=1, or an installed copy with its binaries deleted); it
// prints one JSON object that assertNoAddonProbe() checks.
import * as path from 'node:path';
import { expect } from 'vitest';

/** Body of the probe; needs `mk` (the package) and `csvFile` (a path to a small CSV file) in scope. */
export const NO_ADDON_PROBE = `
const out = { addonAvailable: mk.addonAvailable(), csvMethods: mk.csvMethods(), scenarios: {}, vm: {}, errors: {} };
// The simulator: every device scenario, the virtual-memory scenarios, a simulated Raspberry Pi.
for (const [name, fn] of Object.entries({ uart: mk.simUartScenario, doorbell: mk.simDoorbellScenario, byteLanes: mk.simByteLanesScenario,
    portio: mk.simPortIoScenario, volatile: mk.simVolatileScenario, gpio: mk.simGpioScenario, edu: mk.simEduScenario })) {
  out.scenarios[name] = fn().ok;
}
for (const name of ['csv-sum', 'nine-thousand', 'private-shared', 'anon-1mib', 'tlb-reach']) out.vm[name] = mk.runSimVmScenario(name, { trace: 0 }).values;
const { gpio: board, info } = mk.simRaspberryPi('pi4');
const g = new mk.RaspberryPiGpio(board, info);
g.setFunction(17, 'output'); g.write(17, 1);
const high = [board.output(17), g.read(17)];
g.setFunction(17, 'input'); board.drive(17, 0);
out.gpio = { high, driven: g.read(17), pin14: g.probePin(14).name };
// A CSV summed by the bytewise loop over a simulated mapping and by the JavaScript methods.
const vm = new mk.SimVm({ frames: 64 });
const text = require('fs').readFileSync(csvFile);
vm.createFile('data.csv', new Uint8Array(text));
const p = vm.spawn();
const fd = mk.simCheck(p.open('data.csv', mk.SimOpen.RDONLY), 'open');
const view = p.view(mk.simCheck(p.mmap(0, text.length, mk.SimProt.READ, mk.SimMapFlags.PRIVATE, fd, 0), 'mmap'), text.length);
const summer = new mk.CsvSummer({ method: 'js' });
for (let i = 0; i < text.length; i += 3) summer.update(text.subarray(i, i + 3));
out.csv = {
  bytewiseOverSim: String(mk.bytewiseCsvSum(view)),
  js: String(mk.csvSum(text, { method: 'js' })),
  jsBytewise: String(mk.csvSum(text, { method: 'js-bytewise' })),
  chunks: String(summer.sum),
  fileViaRead: String(mk.csvSumFile(csvFile, { method: 'js', via: 'read' })),
  // Without the addon 'auto' is the WebAssembly kernel, and a file is read through Node.
  auto: String(mk.csvSum(text)),
  wasm: String(mk.csvSum(text, { method: 'wasm' })),
  fileAuto: String(mk.csvSumFile(csvFile)),
};
// Every kind of native call refuses with ERR_MMAPKIT_UNSUPPORTED.
const calls = {
  mapFile: () => mk.mapFile(csvFile),
  mapAnonymous: () => mk.mapAnonymous(4096),
  pageSize: () => mk.pageSize(),
  openSharedMemory: () => mk.openSharedMemory('/mmapkit-no-addon', { create: true }),
  createMemfd: () => mk.createMemfd('no-addon'),
  futexWake: () => mk.futexWake(new Int32Array(new SharedArrayBuffer(4)), 0),
  fileResidency: () => mk.fileResidency(csvFile),
  csvSumFile: () => mk.csvSumFile(csvFile, { method: 'js', via: 'mmap' }),
  scanByteSum: () => mk.scanByteSum(text),
  openRegisterWindow: () => mk.openRegisterWindow({ path: csvFile, offset: 0, length: 4 }),
  fullBarrier: () => mk.fullBarrier(),
};
for (const [name, fn] of Object.entries(calls)) {
  try { fn(); out.errors[name] = { returned: true }; }
  catch (e) { out.errors[name] = { code: e.code, isMmapkitError: e instanceof mk.MmapkitError, message: e.message }; }
}
process.stdout.write(JSON.stringify(out));
`;

/** A small CSV and its sum. */
export const PROBE_CSV = '12,34\n5,6\n789,1\n1,2,3\n';
export const PROBE_CSV_SUM = '853';

/** Checks the probe's JSON; `reason` is what the error message must give as the reason (a RegExp). */
export function assertNoAddonProbe(json: string, reason: RegExp): void {
  const out = JSON.parse(json);
  expect(out.addonAvailable).toBe(false);
  expect(out.csvMethods).toEqual(['wasm', 'js', 'js-bytewise']);
  expect(out.scenarios).toEqual({ uart: true, doorbell: true, byteLanes: true, portio: true, volatile: true, gpio: true, edu: true });
  expect(out.vm['csv-sum']).toMatchObject({ sum: 847, faults: 1 });
  expect(out.vm['private-shared']).toMatchObject({ cowCopies: 1, a: [65, 120, 67, 10], b: [65, 66, 67, 10] });
  expect(out.vm['tlb-reach']).toMatchObject({ reachBytes: 262144, missesOver64Pages: 0 });
  expect(Object.keys(out.vm)).toEqual(['csv-sum', 'nine-thousand', 'private-shared', 'anon-1mib', 'tlb-reach']);
  expect(out.gpio).toEqual({ high: [1, 1], driven: 0, pin14: 'TXD0' });
  expect(out.csv).toEqual({
    bytewiseOverSim: PROBE_CSV_SUM,
    js: PROBE_CSV_SUM,
    jsBytewise: PROBE_CSV_SUM,
    chunks: PROBE_CSV_SUM,
    fileViaRead: PROBE_CSV_SUM,
    auto: PROBE_CSV_SUM,
    wasm: PROBE_CSV_SUM,
    fileAuto: PROBE_CSV_SUM,
  });
  const platform = `${process.platform}-${process.arch}`;
  for (const [name, e] of Object.entries(out.errors as Record<string, { code?: string; isMmapkitError?: boolean; message?: string; returned?: boolean }>)) {
    expect(e.returned, `${name} returned`).toBeUndefined();
    expect(e.code, name).toBe('ERR_MMAPKIT_UNSUPPORTED');
    expect(e.isMmapkitError, name).toBe(true);
    expect(e.message, name).toContain(`mmapkit's native addon is not available on ${platform} (`);
    expect(e.message, name).toMatch(reason);
    expect(e.message, name).toContain(`: ${name} needs it; the simulator and the JS CSV methods work without it.`);
    expect(e.message, name).not.toMatch(/\n\s+at /); // no loader stack
    expect(e.message, name).not.toContain(path.sep + 'node_modules' + path.sep);
  }
}
