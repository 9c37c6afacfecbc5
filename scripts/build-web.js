#!/usr/bin/env node
// Builds the simulator's interactive page (web/) into dist/web/: one bundled script (esbuild),
// the HTML page and its stylesheet. The bundle takes the simulator straight from lib/; the few
// Node built-ins that lib/ imports for its native paths are replaced by web/shims/node.ts, which
// the simulator never calls in a browser.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const root = path.resolve(__dirname, '..');
  const out = path.join(root, 'dist', 'web');
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    console.error('build:web needs esbuild (a dev dependency): run npm install first');
    process.exit(1);
  }
  fs.mkdirSync(out, { recursive: true });
  const shim = path.join(root, 'web', 'shims', 'node.ts');
  const nodeShim = {
    name: 'node-builtins',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, () => ({ path: shim }));
    },
  };
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'web', 'src', 'main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: true,
    outfile: path.join(out, 'app.js'),
    plugins: [nodeShim],
    define: { 'process.env.MMAPKIT_NO_ADDON': '"1"', __dirname: '"/"', __filename: '"/index.js"' },
    logLevel: 'warning',
    metafile: true,
  });
  for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(root, 'web', f), path.join(out, f));
  const bytes = fs.statSync(path.join(out, 'app.js')).size;
  console.log(`dist/web: app.js ${(bytes / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
