import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { type Finding, finding } from "./findings.js";
import { type K8sObject, modelModule } from "./k8sObjects.js";

// The generated source must sit where `kubernetes-models` resolves from node_modules.
const VIRTUAL_FILE = join(dirname(fileURLToPath(import.meta.url)), "__manifests__.ts");

/**
 * Rejects fields the Kubernetes API does not define. Each object becomes an object literal typed
 * with its kubernetes-models interface (IDeployment, IService, …); TypeScript's excess-property
 * check then names every unknown field at any depth, and type errors name wrong value types.
 */
export function unknownFieldFindings(objects: { where: string; object: K8sObject }[]): Finding[] {
  const ranges: { start: number; end: number; where: string }[] = [];
  let source = "";
  objects.forEach(({ object }, i) => {
    source += `import type { I${object.kind} as T${i} } from ${JSON.stringify(modelModule(object.apiVersion, object.kind))};\n`;
  });
  objects.forEach(({ where, object }, i) => {
    const header = `export const o${i}: T${i} = `;
    const start = source.length + header.length;
    source += `${header}${JSON.stringify(object, null, 1)};\n`;
    ranges.push({ start, end: source.length, where });
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const file = ts.createSourceFile(VIRTUAL_FILE, source, ts.ScriptTarget.ES2022, true);
  const readFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, ...rest) => (name === VIRTUAL_FILE ? file : readFile(name, ...rest));
  host.fileExists = (name) => name === VIRTUAL_FILE || fileExists(name);
  const program = ts.createProgram([VIRTUAL_FILE], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return diagnostics.map((d) => {
    const position = d.start ?? 0;
    const range = ranges.find((r) => position >= r.start && position < r.end);
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    const excess = /'"?([^"']+)"?' does not exist in type/.exec(message);
    const path = fieldPath(file, position);
    const problem = excess ? `unknown field ${path}` : `schema: ${path}: ${message}`;
    return finding(range?.where ?? "kubernetes-models types", problem);
  });
}

/** The JSON path (spec.template.spec.containers[0].name) of the literal at a position. */
function fieldPath(file: ts.SourceFile, position: number): string {
  let node: ts.Node = file;
  for (;;) {
    const child = node.getChildren(file).find((c) => c.getStart(file) <= position && position < c.getEnd());
    if (!child) break;
    node = child;
  }
  const parts: string[] = [];
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    const parent: ts.Node | undefined = current.parent;
    if (ts.isPropertyAssignment(current)) parts.unshift(current.name.getText(file).replace(/^"|"$/g, ""));
    else if (parent && ts.isArrayLiteralExpression(parent))
      parts.unshift(`[${parent.elements.indexOf(current as ts.Expression)}]`);
    if (ts.isVariableDeclaration(current)) break;
  }
  return parts.join(".").replace(/\.\[/g, "[") || "(object)";
}
