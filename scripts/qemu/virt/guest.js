// Runs inside the arm64 virt guest: mmapkit's GPIO character-device API and `mmapkit gpiochip`
// against the PL061 chip. Each step's output is framed by @@BEGIN name / @@END name rc=N; a step
// that needs an edge prints "@@PRESS t=<CLOCK_MONOTONIC ns>" and the host presses the power
// button (PL061 line 3 goes high, then low ~100 ms later).
'use strict';
const m = require('/opt/mmapkit/dist/index.js');
const { main } = require('/opt/mmapkit/dist/cli/main.js');

const out = (s) => process.stdout.write(s + '\n');
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
const now = () => process.hrtime.bigint();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function step(name, fn) {
  out(`@@BEGIN ${name}`);
  let rc = 0;
  try {
    const r = await fn();
    if (typeof r === 'number') rc = r;
  } catch (err) {
    out(`ERROR ${err && err.code} ${err && err.stack}`);
    rc = 99;
  }
  out(`@@END ${name} rc=${rc}`);
}

function press() {
  out(`@@PRESS t=${now()}`);
}

/** Waits until a line is requested by someone (so the CLI's request is in place before a press). */
async function whenUsed(chip, line) {
  for (let i = 0; i < 400 && !chip.lineInfo(line).used; i++) await sleep(5);
}

(async () => {
  out(`@@NODE ${process.version} napi ${process.versions.napi} ${process.arch}`);
  const pl061 = m.listGpioChips().find((c) => /pl061/.test(c.label));
  await step('chips', () => out(json(m.listGpioChips())));
  await step('cli-info', () => main(['gpiochip', 'info']));
  await step('cli-info-json', () => main(['gpiochip', 'info', '--json', '--chip', pl061.name]));

  await step('edges-iterator', async () => {
    const chip = m.openGpioChip(pl061.path);
    const req = chip.requestLines(3, { edge: 'both', consumer: 'virt-edges' });
    try {
      chip.requestLines(3);
      out('second request: no error');
    } catch (e) {
      out(`busy ${e.code}: ${e.message.replace(/\n/g, ' | ')}`);
    }
    const events = [];
    const timer = setTimeout(() => req.close(), 20000);
    const t0 = now();
    press();
    for await (const ev of req.events()) {
      events.push({ ...ev, callbackNs: now() });
      if (events.length === 2) break;
    }
    clearTimeout(timer);
    out(`@@EVENTS ${json({ pressNs: t0, events })}`);
    req.close();
    try {
      req.getValues();
    } catch (e) {
      out(`after-close ${e.code}`);
    }
    try {
      req.events();
    } catch (e) {
      out(`events-after-close ${e.code}`);
    }
    chip.close();
  });

  await step('edges-emitter', async () => {
    const chip = m.openGpioChip(pl061.path);
    const req = chip.requestLines(3, { edge: 'rising', consumer: 'virt-emitter', eventBufferSize: 4 });
    const events = [];
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 20000);
      req.on('event', (ev) => {
        events.push({ ...ev, callbackNs: now() });
        clearTimeout(timer);
        setTimeout(resolve, 400);
      });
      setImmediate(press);
    });
    out(`@@EVENTS ${json({ events })}`);
    // Symbol.dispose releases as close() does (what `using` calls).
    req[Symbol.dispose]();
    chip[Symbol.dispose]();
    out(`disposed ${req.closed} ${chip.closed}`);
  });

  // Edge latency, warm: five presses; for each rising edge, the guest's CLOCK_MONOTONIC at the
  // @@PRESS line, the kernel's event timestamp and the time the 'event' listener ran.
  await step('latency', async () => {
    const chip = m.openGpioChip(pl061.path);
    const req = chip.requestLines(3, { edge: 'both', consumer: 'virt-latency' });
    const rows = [];
    for (let k = 0; k < 5; k++) {
      const row = await new Promise((resolve) => {
        const got = {};
        const timer = setTimeout(() => {
          req.removeAllListeners('event');
          resolve(got);
        }, 10000);
        req.on('event', (ev) => {
          got[ev.edge] = { ts: ev.timestampNs, cb: now(), seqno: ev.seqno, missed: ev.missed };
          if (ev.edge === 'falling') {
            clearTimeout(timer);
            req.removeAllListeners('event');
            resolve(got);
          }
        });
        setImmediate(() => {
          got.press = now();
          press();
        });
      });
      rows.push(row);
      await sleep(200);
    }
    req.close();
    chip.close();
    out(`@@LATENCY ${json(rows)}`);
  });

  await step('outputs', () => {
    const chip = m.openGpioChip(pl061.path);
    const seen = [];
    chip.watchLineInfo(4);
    chip.on('info-changed', (c) => seen.push(`${c.type}:${c.info.offset}:${c.info.direction}:${c.info.consumer}`));
    const req = chip.requestLines([4, 5], { direction: 'output', consumer: 'virt-outs', lines: { 4: { value: 1 }, 5: { value: 0 } } });
    const i4 = chip.lineInfo(4);
    out(`info4 ${json(i4)}`);
    out(`values ${json(req.getValues())} bits ${req.getBits()}`);
    req.setValues([0, 1]);
    out(`after-set ${json(req.getValues())}`);
    req.setValue(4, 1);
    out(`after-setValue ${json(req.getValues())} line5=${req.getValue(5)}`);
    req.reconfigure({ direction: 'output', activeLow: true, lines: { 4: { value: 1 } } });
    out(`reconfigured ${json(chip.lineInfo(4))}`);
    req.reconfigure({ direction: 'input', bias: 'pull-down' });
    out(`as-input ${json(chip.lineInfo(4))}`);
    req.close();
    out(`released ${json(chip.lineInfo(4))}`);
    return new Promise((resolve) =>
      setTimeout(() => {
        out(`info-changes ${json(seen)}`);
        chip.close();
        resolve(0);
      }, 300),
    );
  });

  await step('gc-release', async () => {
    const chip = m.openGpioChip(pl061.path);
    (() => {
      chip.requestLines(7, { direction: 'output', value: 1, consumer: 'virt-gc' });
    })();
    out(`before-gc used=${chip.lineInfo(7).used} consumer=${chip.lineInfo(7).consumer}`);
    for (let i = 0; i < 20 && chip.lineInfo(7).used; i++) {
      global.gc();
      await sleep(50);
    }
    out(`after-gc used=${chip.lineInfo(7).used}`);
    chip.close();
  });

  await step('cli-set-get', async () => {
    const rc1 = await main(['gpiochip', 'set', '--chip', pl061.name, '--hold-period', '50ms', '6=1']);
    const rc2 = await main(['gpiochip', 'get', '--chip', pl061.name, '--as-is', '6']);
    const rc3 = await main(['gpiochip', 'get', '--chip', pl061.name, '--json', '6', '2']);
    return rc1 || rc2 || rc3;
  });

  await step('cli-mon', async () => {
    const chip = m.openGpioChip(pl061.path);
    const run = main(['gpiochip', 'mon', '--chip', pl061.name, '--num-events', '2', '3']);
    await whenUsed(chip, 3);
    chip.close();
    press();
    return run;
  });

  await step('cli-mon-format', async () => {
    const chip = m.openGpioChip(pl061.path);
    const run = main(['gpiochip', 'mon', '--chip', pl061.name, '--num-events', '1', '--edges', 'falling', '--format', '%o %E %e %S seq=%s', '3']);
    await whenUsed(chip, 3);
    chip.close();
    press();
    return run;
  });
  // `gpiochip set` in its own process holds line 5 until SIGINT (Ctrl-C), then releases it.
  await step('cli-set-sigint', async () => {
    const { spawn } = require('node:child_process');
    const chip = m.openGpioChip(pl061.path);
    const child = spawn(process.execPath, ['/opt/mmapkit/dist/cli/main.js', 'gpiochip', 'set', '--chip', pl061.name, '--consumer', 'held', '--json', '5=1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // With --json the command prints what it set once it waits for the signal.
    const printed = await new Promise((r) => {
      let s = '';
      child.stdout.on('data', (d) => {
        s += d;
        if (s.endsWith('\n')) r(s.trim());
      });
      child.on('exit', () => r(s));
    });
    out(`child ${printed}`);
    const held = chip.lineInfo(5);
    out(`held used=${held.used} consumer=${held.consumer} direction=${held.direction}`);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', (c, sig) => r(`${c}/${sig}`)));
    const after = chip.lineInfo(5);
    out(`after-sigint exit=${code} used=${after.used}`);
    chip.close();
  });

  // Last: as an unprivileged user (uid/gid 65534) the chip cannot be opened; the error says why.
  await step('nonroot', () => {
    process.setgid(65534);
    process.setuid(65534);
    try {
      m.openGpioChip(pl061.path);
      out('opened');
    } catch (e) {
      out(`${e.code}: ${e.message.replace(/\n/g, ' | ')}`);
    }
    return main(['gpiochip', 'info']);
  });
})().catch((e) => {
  out(`FATAL ${e && e.stack}`);
  process.exitCode = 1;
});
