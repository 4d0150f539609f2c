import { type Finding, finding } from "./findings.js";
import { describe, type K8sObject, modelModule } from "./k8sObjects.js";
import { unknownFieldFindings } from "./k8sUnknownFields.js";

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/**
 * Validates every object against the Kubernetes OpenAPI schema as kubernetes-models ships it
 * (types, required fields, formats), then rejects fields the schema does not define, which the
 * models' validate() lets through.
 */
export async function schemaFindings(sets: { name: string; objects: K8sObject[] }[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const typed: { where: string; object: K8sObject }[] = [];
  for (const set of sets) {
    for (const object of set.objects) {
      const where = `${set.name}: ${describe(object)}`;
      let Model: ModelClass | undefined;
      try {
        const module = (await import(modelModule(object.apiVersion, object.kind))) as Record<
          string,
          ModelClass
        >;
        Model = module[object.kind];
      } catch {
        Model = undefined;
      }
      if (!Model) {
        findings.push(
          finding(where, `${object.apiVersion} ${object.kind} is not a built-in Kubernetes kind`),
        );
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
        const lines = details?.map((d) => `${d.instancePath || "/"} ${d.message}`) ?? [
          (error as Error).message,
        ];
        findings.push(...lines.map((line) => finding(where, `schema: ${line}`)));
      }
      typed.push({ where, object });
    }
  }
  findings.push(...unknownFieldFindings(typed));
  return findings;
}
