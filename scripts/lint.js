#!/usr/bin/env node
// `npm run lint`: every check that keeps the code in shape, each run even when an earlier one fails,
// then one line per check and the exit status 1 if any failed:
//   eslint     ESLint (eslint.config.mjs) with zero warnings allowed
//   prettier   the formatting (.prettierrc.json) of everything Prettier formats (`npm run format` fixes it)
//   tsc        the type-check of lib/, bench/, test/ and web/
//   cycles     no import cycle among lib/, bench/, test/, scripts/ and web/ (madge, .madgerc). Type-only
//              imports are not followed: the simulated VM's public faces name each other's types by
//              design (process.vm is a SimVm, vm.spawn() gives a SimProcess, a SimMapping has its
//              process); what the check forbids is a cycle of modules that load each other
//   clang-format  the C++ of native/ (.clang-format; `npm run format:native` fixes it)
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const bin = (pkg, file) => path.join(root, 'node_modules', pkg, file);

const checks = [
  ['eslint', [[bin('eslint', 'bin/eslint.js'), '--max-warnings', '0', '.']]],
  ['prettier', [[bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']]],
  ['tsc', ['tsconfig.json', 'bench/tsconfig.json', 'test/tsconfig.json', 'web/tsconfig.json'].map((p) => [bin('typescript', 'bin/tsc'), '-p', p, '--noEmit'])],
  [
    'clang-format',
    [
      [
        '-e',
        "const {spawnSync}=require('child_process');const fs=require('fs');const files=['binding','sys','test'].flatMap((d)=>fs.readdirSync('native/'+d).filter((f)=>/\\.(cc|h)$/.test(f)).map((f)=>'native/'+d+'/'+f));const r=spawnSync('clang-format',['--dry-run','--Werror',...files],{stdio:'inherit'});if(r.error){console.error('clang-format is not installed (apt-get install clang-format)');process.exit(1)}process.exit(r.status)",
      ],
    ],
  ],
  ['cycles', [[bin('madge', 'bin/cli.js'), '--circular', '--no-spinner', 'lib', 'bench', 'test', 'scripts', 'web']]],
];

const results = [];
for (const [name, commands] of checks) {
  process.stdout.write(`\n== ${name}\n`);
  let status = 0;
  for (const args of commands) {
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) status = r.status ?? 1;
  }
  results.push([name, status]);
}
process.stdout.write(`\nlint: ${results.map(([n, s]) => `${n} ${s === 0 ? 'ok' : 'FAILED'}`).join(', ')}\n`);
process.exitCode = results.some(([, s]) => s !== 0) ? 1 : 0;
