// Lists the addon's C++ sources for binding.gyp, so a new file needs no edit there.
// native/test/ holds stand-alone programs and is not part of the addon.
'use strict';
const fs = require('fs');
const path = require('path');
const out = [];
(function walk(dir) {
  for (const e of fs.readdirSync(path.join(__dirname, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = dir + '/' + e.name;
    if (e.isDirectory()) { if (e.name !== 'test') walk(rel); }
    else if (e.name.endsWith('.cc')) out.push('native' + rel.slice(1));
  }
})('.');
process.stdout.write(out.join(' '));
