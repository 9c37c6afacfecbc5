// Runs inside the Raspberry Pi 3 guest: several `mmapkit gpio` commands in one Node process (Node
// takes seconds to start under emulation). Each command goes through the CLI's main(), which opens
// and closes its own register window, so every read-back comes through a fresh mapping of /dev/mem.
// Output framing as in guest.sh: @@BEGIN name / @@END name rc=N.
'use strict';
const { main } = require('/opt/mmapkit/dist/cli/main.js');

async function step(name, argv) {
  process.stdout.write(`@@BEGIN ${name}\n`);
  let rc;
  try {
    rc = await main(argv);
  } catch (err) {
    process.stdout.write(String((err && err.stack) || err) + '\n');
    rc = 99;
  }
  process.stdout.write(`@@END ${name} rc=${rc}\n`);
}

// GPIO22 requested as an output through /dev/gpiochipN at `value`, read back through the register
// path (`mmapkit gpio get 22 --json`, a fresh /dev/mem mapping) while the request holds it.
async function chardevStep(name, value) {
  const m = require('/opt/mmapkit/dist/index.js');
  process.stdout.write(`@@BEGIN ${name}\n`);
  let rc;
  let req;
  try {
    const chip = m.listGpioChips().find((c) => /bcm2835/.test(c.label));
    const c = m.openGpioChip(chip.path);
    req = c.requestLines(22, { value, consumer: 'pi-chardev' });
    process.stdout.write(`@@CHARDEV ${JSON.stringify({ info: c.lineInfo(22), values: req.getValues() })}\n`);
    c.close();
    rc = await main(['gpio', 'get', '22', '--json']);
  } catch (err) {
    process.stdout.write(String((err && err.stack) || err) + '\n');
    rc = 99;
  } finally {
    if (req) req.close();
  }
  process.stdout.write(`@@END ${name} rc=${rc}\n`);
}

(async () => {
  process.stdout.write(`@@BEGIN node\n${process.version} napi ${process.versions.napi} ${process.arch}\n@@END node rc=0\n`);
  await step('info', ['gpio', 'info', '--json']);
  await step('get-text', ['gpio', 'get', '0-15']);
  await step('raspi-gpio', ['gpio', 'get', '14,15', '--format', 'raspi-gpio']);
  await step('set-op-dh', ['gpio', 'set', '4', 'op', 'dh']);
  await step('get4-high', ['gpio', 'get', '4', '--json']);
  await step('set-dl', ['gpio', 'set', '4', 'dl']);
  await step('get4-low', ['gpio', 'get', '4', '--json']);
  // The same block through the GPIO character device: the kernel's pinctrl-bcm2835 chip.
  await step('chardev-info', ['gpiochip', 'info', '--json']);
  await chardevStep('chardev-out-high', 1);
  await chardevStep('chardev-out-low', 0);
  // Last: drop to an unprivileged user (uid/gid 65534; there is no passwd file) for good.
  process.setgid(65534);
  process.setuid(65534);
  await step('nonroot', ['gpio', 'get', '4']);
})();
