import * as path from 'path';
import * as ts from 'typescript';

/**
 * Every string-valued prop path of a construct's props, read from the
 * library's own types with the TypeScript compiler (so a prop added later is
 * covered without touching the test): `models[0].apiBase`, `redis.external.host`,
 * `env.KEY`. Arrays give their first element, string maps a key `KEY`, and
 * open maps (`params`, `metadata`, extraConfig sections) a key `some_key`.
 * Class-typed props (a proxy, an Edge, WorkerSizing) are not walked: they are
 * built by code, not written as data.
 */
export function stringPropPaths(className: string): string[] {
  const { checker, exports } = program();
  const symbol = exports.get(className);
  if (symbol === undefined) throw new Error(`lib/index.ts exports no ${className}`);
  const decl = symbol.declarations!.find(ts.isClassDeclaration)!;
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  if (ctor === undefined) throw new Error(`${className} has no constructor`);
  const param = ctor.parameters[ctor.parameters.length - 1];
  const paths: string[] = [];
  walk(checker, checker.getTypeAtLocation(param), '', paths, 0, new Set());
  return paths;
}

let cached: { checker: ts.TypeChecker; exports: Map<string, ts.Symbol> } | undefined;

function program(): { checker: ts.TypeChecker; exports: Map<string, ts.Symbol> } {
  if (cached !== undefined) return cached;
  const index = path.resolve(__dirname, '../../lib/index.ts');
  const prog = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, skipLibCheck: true, types: [] });
  const checker = prog.getTypeChecker();
  const exports = new Map<string, ts.Symbol>();
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(prog.getSourceFile(index)!)!)) {
    exports.set(s.name, s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  }
  cached = { checker, exports };
  return cached;
}

function walk(checker: ts.TypeChecker, type: ts.Type, prefix: string, out: string[], depth: number, seen: Set<ts.Type>): void {
  const t = type.getNonNullableType();
  if (depth > 6) return;
  const at = (name: string) => (prefix === '' ? name : `${prefix}.${name}`);
  if (t.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.EnumLike) || (t.isUnion() && t.types.every(u => u.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.EnumLike)))) {
    if (prefix !== '') out.push(prefix);
    return;
  }
  if (t.flags & ts.TypeFlags.Any) {
    if (prefix !== '') out.push(prefix);
    return;
  }
  if (checker.isArrayType(t)) {
    walk(checker, checker.getTypeArguments(t as ts.TypeReference)[0], `${prefix}[0]`, out, depth + 1, seen);
    return;
  }
  const symbol = t.getSymbol();
  // Classes (a proxy, an Edge, WorkerSizing, a PostgresServer) are built by code, not data.
  if (symbol?.declarations?.some(d => ts.isClassDeclaration(d))) return;
  if (!(t.flags & ts.TypeFlags.Object) || seen.has(t)) return;
  seen.add(t);
  const index = t.getStringIndexType();
  if (index !== undefined) {
    const key = index.flags & ts.TypeFlags.Any ? 'some_key' : 'KEY';
    walk(checker, index, at(key), out, depth + 1, seen);
  }
  for (const p of t.getProperties()) {
    const decl = p.valueDeclaration ?? p.declarations?.[0];
    if (decl === undefined || ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl)) continue;
    walk(checker, checker.getTypeOfSymbolAtLocation(p, decl), at(p.name), out, depth + 1, seen);
  }
  seen.delete(t);
}
