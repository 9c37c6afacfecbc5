// The public surface of the package root, read from its type declarations (dist/index.d.ts) with
// the TypeScript compiler: every exported function, and every exported class's constructor,
// static and instance methods and getters, minus members marked private, protected or @internal.
// Each parameter comes with its declared type and, for option objects, their keys.
'use strict';
const path = require('node:path');
const ts = require('typescript');

const NOT_OPTIONS = ['Uint8Array', 'Buffer', 'ArrayBuffer', 'SharedArrayBuffer', 'Int32Array', 'Uint32Array', 'Array', 'Float64Array', 'DataView'];

function apiSurface(root = path.resolve(__dirname, '..', '..')) {
  const file = path.join(root, 'dist', 'index.d.ts');
  const program = ts.createProgram([file], { strict: true });
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(program.getSourceFile(file));
  const hidden = (d) => {
    if (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Abstract)) return true;
    if (d.name && ts.isPrivateIdentifier(d.name)) return true;
    return ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal');
  };
  const keysOf = (t) => {
    const out = new Set();
    for (const u of t.isUnion() ? t.types : [t]) {
      if (!(u.flags & ts.TypeFlags.Object) || u.getCallSignatures().length || !u.symbol || NOT_OPTIONS.includes(u.symbol.name)) continue;
      for (const p of u.getProperties()) out.add(p.name);
    }
    return [...out].slice(0, 20);
  };
  const params = (s) =>
    s.getParameters().map((p) => {
      const d = p.valueDeclaration;
      const t = checker.getTypeOfSymbolAtLocation(p, d);
      return { name: p.name, optional: !!(d.questionToken || d.initializer || d.dotDotDotToken), type: checker.typeToString(t), keys: keysOf(t) };
    });
  const members = (type) => {
    const out = [];
    for (const p of type.getProperties()) {
      const d = p.valueDeclaration ?? p.declarations?.[0];
      if (!d || hidden(d) || p.name.startsWith('__') || p.name === 'prototype') continue;
      const sigs = checker.getTypeOfSymbolAtLocation(p, d).getCallSignatures();
      if (sigs.length) out.push({ name: p.name, kind: 'method', params: params(sigs[sigs.length - 1]) });
      else if (ts.isGetAccessorDeclaration(d) || ts.isPropertyDeclaration(d)) out.push({ name: p.name, kind: 'get' });
    }
    return out;
  };
  const api = { functions: [], classes: [] };
  for (const e of checker.getExportsOfModule(mod)) {
    const s = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    if (s.flags & ts.SymbolFlags.Class) {
      const d = s.valueDeclaration;
      const st = checker.getTypeOfSymbolAtLocation(s, d);
      const ctors = st.getConstructSignatures();
      const ctorHidden = d.members?.some((m) => ts.isConstructorDeclaration(m) && hidden(m));
      // An abstract class is used through its subclasses (which are exported and fuzzed): only its statics here.
      const abstract = !!(ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Abstract);
      api.classes.push({
        name: e.name,
        ctor: abstract || ctorHidden || !ctors.length ? null : params(ctors[ctors.length - 1]),
        methods: abstract ? [] : members(checker.getDeclaredTypeOfSymbol(s)),
        statics: members(st).filter((m) => m.kind === 'method' && !['captureStackTrace', 'prepareStackTrace'].includes(m.name)),
      });
    } else if (s.flags & ts.SymbolFlags.Function) {
      const sigs = checker.getTypeOfSymbolAtLocation(s, s.valueDeclaration).getCallSignatures();
      api.functions.push({ name: e.name, params: params(sigs[sigs.length - 1]) });
    } else if (s.flags & ts.SymbolFlags.Variable) {
      // Namespaces of functions (barriers.full()): their methods. Arrays and tables of constants: not functions.
      const t = checker.getTypeOfSymbolAtLocation(s, s.valueDeclaration);
      if (t.getCallSignatures().length) api.functions.push({ name: e.name, params: params(t.getCallSignatures()[0]) });
      else if (t.flags & ts.TypeFlags.Object && !checker.isArrayType(t) && !checker.isTupleType(t)) {
        for (const m of members(t)) if (m.kind === 'method') api.functions.push({ name: `${e.name}.${m.name}`, params: m.params });
      }
    }
  }
  return api;
}

module.exports = { apiSurface };
if (require.main === module) process.stdout.write(JSON.stringify(apiSurface()));
