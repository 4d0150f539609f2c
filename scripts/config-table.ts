// Prints the README's configuration tables from each service's configShape.
import { configShape as gateway } from "@wallet/gateway";
import { configShape as notifier } from "@wallet/notifier";
import { configShape as wallet } from "@wallet/wallet";

for (const [service, shape] of Object.entries({ wallet, gateway, notifier })) {
  console.log(`\n#### ${service}\n\n| variable | default |\n|---|---|`);
  for (const [name, schema] of Object.entries(shape)) {
    const parsed = (schema as { safeParse(v: unknown): { success: boolean; data?: unknown } }).safeParse(
      undefined,
    );
    const def = parsed.success
      ? parsed.data === undefined
        ? "(unset)"
        : `\`${String(parsed.data)}\``
      : "**required**";
    console.log(`| \`${name}\` | ${def} |`);
  }
}
