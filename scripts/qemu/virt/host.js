// Host side of the arm64 virt rig: runs QEMU (argv after the monitor socket path), copies its
// serial console to stdout, and each time the guest prints a line starting with @@PRESS sends
// `system_powerdown` on the QEMU monitor (a unix socket), which raises PL061 line 3. Prints
// "@@HOST sent N ms=<milliseconds from reading the @@PRESS line to the monitor write>".
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const readline = require('node:readline');

const [mon, qemu, ...args] = process.argv.slice(2);
const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let monitor = null;
let presses = 0;

function connect(retries) {
  const s = net.connect(mon);
  s.on('connect', () => {
    monitor = s;
  });
  s.on('error', () => {
    if (retries > 0) setTimeout(() => connect(retries - 1), 100);
  });
  s.on('data', () => {}); // the monitor's banner and echoes
}
setTimeout(() => connect(100), 100);

readline.createInterface({ input: child.stdout }).on('line', (line) => {
  process.stdout.write(line + '\n');
  if (line.startsWith('@@PRESS')) {
    const seen = process.hrtime.bigint();
    if (!monitor) {
      process.stdout.write('@@HOST no-monitor\n');
      return;
    }
    monitor.write('system_powerdown\n');
    const ms = Number(process.hrtime.bigint() - seen) / 1e6;
    presses++;
    process.stdout.write(`@@HOST sent ${presses} ms=${ms.toFixed(3)}\n`);
  }
});
child.on('exit', (code, signal) => {
  process.stdout.write(`@@HOST qemu-exit code=${code} signal=${signal}\n`);
  monitor?.destroy();
  process.exitCode = code ?? 1;
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill('SIGKILL'));
