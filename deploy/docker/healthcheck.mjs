// Container health probe for the images' HEALTHCHECK: node healthcheck.mjs <PORT_VAR> <default port> <path>.
// The port comes from the same variable the service reads, so overriding it keeps the probe right.
const [portVariable, defaultPort, path] = process.argv.slice(2);
const port = process.env[portVariable] || defaultPort;
const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) }).catch(
  () => undefined,
);
process.exit(response?.ok ? 0 : 1);
