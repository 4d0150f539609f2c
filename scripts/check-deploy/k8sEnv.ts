import type { IContainer } from "kubernetes-models/v1/Container";
import type { ContainerEnv } from "./containerEnv.js";
import { type Finding, finding } from "./findings.js";
import { findObject, type K8sObject, type Rendering } from "./k8sObjects.js";

interface KeyedObject {
  kind: string;
  /** Values by key; undefined values exist but are not in the files (a templated Secret). */
  values: Map<string, string | undefined>;
}

/** Resolves a container's variables through the ConfigMaps and Secrets of the rendering and its templates. */
export function containerEnv(
  rendering: Rendering,
  container: IContainer,
  where: string,
): { env: ContainerEnv; findings: Finding[] } {
  const env: ContainerEnv = new Map();
  const findings: Finding[] = [];
  const source = (kind: string, name: string, optional: boolean | undefined) => {
    const found = keyedObject(rendering, kind, name);
    if (!found && !optional)
      findings.push(finding(where, `refers to ${kind} ${name}, which is neither rendered nor templated`));
    return found;
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? "ConfigMap" : "Secret";
    if (!ref?.name) continue;
    const found = source(kind, ref.name, ref.optional);
    for (const [key, value] of found?.values ?? []) {
      env.set(`${from.prefix ?? ""}${key}`, {
        value,
        optional: Boolean(ref.optional),
        secret: kind === "Secret",
      });
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (!ref) {
      const literal = variable.valueFrom ? undefined : (variable.value ?? "");
      env.set(variable.name, { value: literal, optional: false, secret: false });
      continue;
    }
    const kind = variable.valueFrom?.configMapKeyRef ? "ConfigMap" : "Secret";
    const found = source(kind, ref.name ?? "", ref.optional);
    if (found && !found.values.has(ref.key) && !ref.optional) {
      findings.push(
        finding(where, `${variable.name} refers to key ${ref.key} missing from ${kind} ${ref.name}`),
      );
    }
    env.set(variable.name, {
      value: found?.values.get(ref.key),
      optional: Boolean(ref.optional),
      secret: kind === "Secret",
    });
  }
  return { env, findings };
}

function keyedObject(rendering: Rendering, kind: string, name: string): KeyedObject | undefined {
  const rendered = findObject(rendering.objects, kind, name);
  if (rendered) return { kind, values: valuesOf(rendered) };
  const templated = findObject(rendering.templates, kind, name);
  // A template's values are placeholders: only its keys are facts.
  if (templated) return { kind, values: new Map([...valuesOf(templated).keys()].map((k) => [k, undefined])) };
  return undefined;
}

function valuesOf(object: K8sObject): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  const data = (object.data ?? {}) as Record<string, string>;
  for (const [key, value] of Object.entries(data)) {
    values.set(key, object.kind === "Secret" ? Buffer.from(value, "base64").toString("utf8") : value);
  }
  for (const [key, value] of Object.entries((object.stringData ?? {}) as Record<string, string>)) {
    values.set(key, value);
  }
  return values;
}
