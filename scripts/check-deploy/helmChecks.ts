import { join } from "node:path";
import { chartLintFindings } from "./chartLint.js";
import type { Finding } from "./findings.js";
import { driftFindings } from "./helmDrift.js";
import { CHART, findRenderer, type Renderer, renderChart, VALUE_SETS } from "./helmRender.js";
import {
  chartDefaults,
  fixtureFindings,
  schemaConfigFindings,
  valuesFileFindings,
  valuesValidator,
} from "./helmValues.js";
import type { Rendering } from "./k8sObjects.js";
import type { ServiceConfig } from "./serviceConfig.js";

/**
 * Everything checked about the Helm chart: Chart.yaml and layout, values.schema.json against the
 * value sets and the good and bad fixtures, the schema's variables against each service's
 * configShape, then a rendering per value set (for the same checks as the overlays' renderings)
 * compared with the overlay that deploys the same workloads.
 */
export function chartChecks(
  root: string,
  configs: ServiceConfig[],
  overlays: Rendering[],
  renderer: Renderer | Finding = findRenderer(root),
): { renderings: Rendering[]; findings: Finding[]; renderer?: Renderer } {
  const findings: Finding[] = [];
  const usable = "kind" in renderer ? renderer : undefined;
  if (!usable) findings.push(renderer as Finding);
  findings.push(...chartLintFindings(root, CHART, usable));
  const defaults = chartDefaults(root, CHART);
  findings.push(...defaults.findings);
  const validator = valuesValidator(join(root, CHART));
  findings.push(...validator.findings.map((f) => ({ ...f, where: f.where.replace(`${root}/`, "") })));
  if (defaults.values && validator.validate) {
    for (const set of VALUE_SETS)
      findings.push(...valuesFileFindings(root, defaults.values, validator.validate, set.files, set.name));
    findings.push(...fixtureFindings(root, defaults.values, validator.validate));
    findings.push(
      ...schemaConfigFindings(join(root, CHART), configs).map((f) => ({
        ...f,
        where: f.where.replace(`${root}/`, ""),
      })),
    );
  }
  const renderings: Rendering[] = [];
  if (!usable) return { renderings, findings };
  for (const set of VALUE_SETS) {
    const rendered = renderChart(root, usable, set);
    findings.push(...rendered.findings);
    if (!rendered.rendering) continue;
    renderings.push(rendered.rendering);
    const overlay = set.overlay && overlays.find((o) => o.name === set.overlay);
    if (overlay) findings.push(...driftFindings(rendered.rendering, overlay));
  }
  return { renderings, findings, renderer: usable };
}
